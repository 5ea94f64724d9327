#!/usr/bin/python3
"""IPv6 attack frames for the dual-stack security tests (Debian's scapy, /usr/bin/python3).

  ipv6-attacks.py send IFNAME SPEC_JSON   send the frames SPEC asks for; print {kind: sent}

SPEC: {"kind": "spoof"|"forged-na"|"rogue-ra"|"dhcp6"|"redirect"|"unicast-ns", "srcMac", "srcLl", "dstMac", "dstIp",
"src", "target", "label", "count"}. Spoof (an echo request from any source), DHCPv6-server and redirect
frames carry the marker NSVPROBE:<label>: so that raw-frames.py capture counts them at the far end.
"""
import json
import sys

MARKER = b"NSVPROBE:"


def frames(spec):
    from scapy.all import (
        UDP, Ether, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6NDOptDstLLAddr, ICMPv6NDOptPrefixInfo,
        ICMPv6ND_NS, ICMPv6NDOptRedirectedHdr, ICMPv6NDOptSrcLLAddr, IPv6, Raw,
    )

    kind = spec["kind"]
    src_mac = spec["srcMac"]
    if kind in ("spoof", "echo"):
        data = MARKER + spec["label"].encode() + b":" + b"x" * 32
        return [Ether(src=src_mac, dst=spec["dstMac"]) / IPv6(src=spec["src"], dst=spec["dstIp"]) / ICMPv6EchoRequest(id=7, seq=1, data=data)]
    if kind == "dhcp6":
        # A DHCPv6 server's ADVERTISE (UDP 547 -> 546), to the victim and to the all-DHCP-agents group.
        data = Raw(b"\x02\x00\x00\x01" + MARKER + spec["label"].encode() + b":" + b"x" * 16)
        return [
            Ether(src=src_mac, dst=spec["dstMac"]) / IPv6(src=spec["srcLl"], dst=spec["dstIp"]) / UDP(sport=547, dport=546) / data,
            Ether(src=src_mac, dst="33:33:00:01:00:02") / IPv6(src=spec["srcLl"], dst="ff02::1:2") / UDP(sport=547, dport=546) / data,
        ]
    if kind == "redirect":
        # "Send what is for target through me": an ICMPv6 redirect carrying the marker in its redirected header.
        inner = IPv6(src=spec["dstIp"], dst=spec["target"]) / Raw(MARKER + spec["label"].encode() + b":" + b"x" * 16)
        return [
            Ether(src=src_mac, dst=spec["dstMac"]) / IPv6(src=spec["srcLl"], dst=spec["dstIp"], hlim=255)
            / ICMPv6ND_Redirect(tgt=spec["srcLl"], dst=spec["target"]) / ICMPv6NDOptDstLLAddr(lladdr=src_mac) / ICMPv6NDOptRedirectedHdr(pkt=inner)
        ]
    if kind == "unicast-ns":
        # Not an attack: the reachability probe a neighbour sends (unicast, with its own source link-layer option).
        return [
            Ether(src=src_mac, dst=spec["dstMac"]) / IPv6(src=spec["src"], dst=spec["dstIp"], hlim=255)
            / ICMPv6ND_NS(tgt=spec["dstIp"]) / ICMPv6NDOptSrcLLAddr(lladdr=src_mac)
        ]
    if kind == "forged-na":
        # Unsolicited, override: "target is at my MAC". Multicast to all nodes and unicast to the victim.
        na = ICMPv6ND_NA(tgt=spec["target"], R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=src_mac)
        return [
            Ether(src=src_mac, dst="33:33:00:00:00:01") / IPv6(src=spec["srcLl"], dst="ff02::1", hlim=255) / na,
            Ether(src=src_mac, dst=spec["dstMac"]) / IPv6(src=spec["srcLl"], dst=spec["dstIp"], hlim=255) / na,
        ]
    if kind == "rogue-ra":
        ra = (
            ICMPv6ND_RA(routerlifetime=1800, M=0, O=0)
            / ICMPv6NDOptPrefixInfo(prefix=spec["prefix"], prefixlen=64, L=1, A=1, validlifetime=86400, preferredlifetime=14400)
            / ICMPv6NDOptSrcLLAddr(lladdr=src_mac)
        )
        return [Ether(src=src_mac, dst="33:33:00:00:00:01") / IPv6(src=spec["srcLl"], dst="ff02::1", hlim=255) / ra]
    raise SystemExit(f"unknown kind {kind}")


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "send":
        sys.exit(__doc__)
    from scapy.all import sendp

    spec = json.loads(sys.argv[3])
    count = int(spec.get("count", 3))
    batch = frames(spec) * count
    sendp(batch, iface=sys.argv[2], verbose=False)
    print(json.dumps({spec["kind"]: len(batch)}), flush=True)


if __name__ == "__main__":
    main()
