#!/usr/bin/python3
"""Crafted IPv4/UDP frames with chosen source MAC and address, for port-security tests (Debian's scapy).

  spoof-frames.py IFNAME SPEC_JSON
    SPEC: {"dstMac", "dstIp", "count", "frames": [{"kind", "srcMac", "srcIp"}]}
    sends every frame COUNT times out of IFNAME, prints {kind: sent}

Each payload carries the marker NSVPROBE:<kind>: that raw-frames.py's capture counts, so the far
end counts exactly these frames per kind, whatever else arrives.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    from scapy.all import IP, UDP, Ether, Raw, sendp

    ifname, spec = sys.argv[1], json.loads(sys.argv[2])
    count = int(spec.get("count", 5))
    batch, sent = [], {}
    for f in spec["frames"]:
        kind = f["kind"]
        mark = Raw(b"NSVPROBE:" + kind.encode() + b":" + b"x" * 32)
        frame = Ether(src=f["srcMac"], dst=spec["dstMac"]) / IP(src=f["srcIp"], dst=spec["dstIp"], ttl=64) / UDP(sport=40000, dport=9) / mark
        batch += [frame] * count
        sent[kind] = count
    sendp(batch, iface=ifname, verbose=False)
    print(json.dumps(sent), flush=True)


if __name__ == "__main__":
    main()
