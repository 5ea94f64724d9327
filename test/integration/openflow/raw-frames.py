#!/usr/bin/python3
"""Crafted Ethernet frames for port-security tests (Debian's scapy, /usr/bin/python3).

  raw-frames.py send IFNAME SPEC_JSON   send every kind of frame COUNT times; print {kind: sent}
  raw-frames.py capture IFNAME          print "ready", count marked frames received until stdin
                                        closes, then print {kind: {"frames": n, "tagged": t}}

Every frame carries the marker NSVPROBE:<kind>: in its payload, so the capture
counts only our frames, whatever else the namespace receives. "tagged" counts
frames that arrived with a VLAN tag (the kernel strips it into the packet's
auxdata, so it is read from there).
"""
import json
import select
import socket
import struct
import sys

MARKER = b"NSVPROBE:"
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10


def frames(spec):
    from scapy.all import ARP, IP, LLC, SNAP, UDP, Dot1AD, Dot1Q, Dot3, Ether, IPv6, Raw

    src_mac, src_ip = spec["srcMac"], spec["srcIp"]
    dst_mac, dst_ip = spec["dstMac"], spec["dstIp"]
    bcast = "ff:ff:ff:ff:ff:ff"

    def mark(kind):
        return Raw(MARKER + kind.encode() + b":" + b"x" * 32)

    def ip(kind, dst_ip_=dst_ip):
        return IP(src=src_ip, dst=dst_ip_, ttl=64) / UDP(sport=40000, dport=9) / mark(kind)

    def arp(kind):
        # A request for an address nobody has: the switch does not answer it, it floods it in the tenant.
        return ARP(op=1, hwsrc=src_mac, psrc=src_ip, hwdst="00:00:00:00:00:00", pdst=spec["unusedIp"]) / mark(kind)

    out = {}
    # Positive controls: valid untagged frames from the workload's own MAC and address.
    out["untagged-unicast"] = Ether(src=src_mac, dst=dst_mac) / ip("untagged-unicast")
    out["untagged-broadcast"] = Ether(src=src_mac, dst=bcast) / ip("untagged-broadcast", "255.255.255.255")
    out["untagged-arp"] = Ether(src=src_mac, dst=bcast) / arp("untagged-arp")
    # 802.1Q tags: another tenant's id, the sender's own tenant id, VLAN 1, VID 4095.
    for vid in spec["vlanIds"]:
        out[f"vlan{vid}-unicast"] = Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=vid) / ip(f"vlan{vid}-unicast")
        out[f"vlan{vid}-broadcast"] = Ether(src=src_mac, dst=bcast) / Dot1Q(vlan=vid) / ip(f"vlan{vid}-broadcast", "255.255.255.255")
        out[f"vlan{vid}-arp"] = Ether(src=src_mac, dst=bcast) / Dot1Q(vlan=vid) / arp(f"vlan{vid}-arp")
    foreign = spec["vlanIds"][0]
    # Priority-tagged (VID 0), with and without a priority.
    out["prio5-vid0"] = Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=0, prio=5) / ip("prio5-vid0")
    out["prio0-vid0"] = Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=0, prio=0) / ip("prio0-vid0")
    # 802.1ad (S-tag 0x88a8), alone and as QinQ over an 802.1Q C-tag; and two stacked 0x8100 tags.
    out["8021ad"] = Ether(src=src_mac, dst=dst_mac) / Dot1AD(vlan=foreign) / ip("8021ad")
    out["qinq"] = Ether(src=src_mac, dst=dst_mac) / Dot1AD(vlan=foreign) / Dot1Q(vlan=foreign) / ip("qinq")
    out["qinq-broadcast"] = Ether(src=src_mac, dst=bcast) / Dot1AD(vlan=foreign) / Dot1Q(vlan=foreign) / ip("qinq-broadcast", "255.255.255.255")
    out["double-8100"] = Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=foreign) / Dot1Q(vlan=foreign) / ip("double-8100")
    # Ethertypes the pipeline does not expect (0x88b5: IEEE local experimental; 0x8870: scapy's
    # Ether/LLC), and 802.3 frames (a length, not an ethertype) with plain LLC. Dot3, not Ether:
    # scapy's Ether puts 0x8870 in front of an LLC header.
    out["ethertype-88b5"] = Ether(src=src_mac, dst=dst_mac, type=0x88B5) / mark("ethertype-88b5")
    out["ethertype-88b5-broadcast"] = Ether(src=src_mac, dst=bcast, type=0x88B5) / mark("ethertype-88b5-broadcast")
    out["ethertype-8870-llc"] = Ether(src=src_mac, dst=dst_mac) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / mark("ethertype-8870-llc")
    out["dot3-llc"] = Dot3(src=src_mac, dst=dst_mac) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / mark("dot3-llc")
    # IPv6, untagged and tagged: dropped by policy (no IPv6 port security yet).
    v6 = IPv6(src="fe80::1", dst="ff02::1") / UDP(sport=40000, dport=9)
    out["ipv6"] = Ether(src=src_mac, dst="33:33:00:00:00:01") / v6 / mark("ipv6")
    out[f"vlan{foreign}-ipv6"] = Ether(src=src_mac, dst="33:33:00:00:00:01") / Dot1Q(vlan=foreign) / v6 / mark(f"vlan{foreign}-ipv6")
    # IPv4 from the sender's own MAC and address inside 802.3 LLC/SNAP. OVS parses through SNAP
    # (dl_type 0x0800), and no OpenFlow field tells it from Ethernet II: port security cannot drop it.
    out["snap-ip"] = Dot3(src=src_mac, dst=dst_mac) / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800) / ip("snap-ip")
    return out


def send(ifname, spec):
    from scapy.all import sendp

    built = frames(spec)
    kinds = spec.get("kinds") or list(built)
    count = int(spec.get("count", 10))
    batch = [built[k] for k in kinds for _ in range(count)]
    sendp(batch, iface=ifname, verbose=False)
    print(json.dumps({k: count for k in kinds}), flush=True)


def capture(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, 0))
    counts = {}
    print("ready", flush=True)
    stdin = sys.stdin.buffer.raw
    while True:
        readable, _, _ = select.select([s, stdin], [], [])
        if s in readable:
            data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(32))
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            at = data.find(MARKER)
            if at < 0:
                continue
            kind = data[at + len(MARKER):].split(b":", 1)[0].decode("ascii", "replace")
            tagged = False
            for level, typ, cdata in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(cdata) >= 4:
                    tagged = bool(struct.unpack_from("I", cdata)[0] & TP_STATUS_VLAN_VALID)
            c = counts.setdefault(kind, {"frames": 0, "tagged": 0})
            c["frames"] += 1
            c["tagged"] += int(tagged)
            continue
        if stdin in readable and not stdin.read(4096):
            break
    print(json.dumps(counts), flush=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "send":
        send(sys.argv[2], json.loads(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "capture":
        capture(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
