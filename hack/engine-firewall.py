"""engine-firewall.py reads `iptables-save` output on stdin and prints, as
iptables-restore input, the deletions of every rule and chain that the Dagger
engine's CNI network (bridge, firewall and ipMasq plugins) left in the host's
tables.

    iptables-nft-save | python3 engine-firewall.py NETWORK CIDR | iptables-nft-restore --noflush

Rules are ours when a source or destination lies inside CIDR, or they name
the bridge (NETWORK0) or carry the network's CNI comment (name: "NETWORK"); the CNI per-container chains
(CNI-<hash>, CNI-DN-<hash>) are ours when our rules jump to them, and go with
all their rules. The firewall plugin's shared chains (CNI-FORWARD, CNI-ADMIN)
and the FORWARD rule jumping to them go too when no other network's rule is
left in them; otherwise they stay, less our rules.
"""
import ipaddress
import re
import sys


# The CNI firewall plugin's chains, shared by every CNI network on the host.
SHARED = ("CNI-FORWARD", "CNI-ADMIN")


def shared_chains_left_empty(rules, ours):
    """The shared chains, when nothing but each other would be left in them
    once our rules are gone (no other CNI network uses them)."""
    left = [r for r in rules if r not in ours and r.split()[0] in SHARED]
    if all(r == "CNI-FORWARD -m comment --comment \"CNI firewall plugin admin overrides\" -j CNI-ADMIN" for r in left):
        return [c for c in SHARED if any(r.split()[0] == c or r.endswith("-j " + c) for r in rules)]
    return []


def shared_jump(rule, chains):
    """A rule that jumps to, or lives in, a shared chain being removed."""
    return any(rule.split()[0] == c or rule.endswith("-j " + c) for c in chains if c in SHARED)


def deletions(lines, network, cidr):
    net = ipaddress.ip_network(cidr)
    named = re.compile(r"\b%s0?\b" % re.escape(network))

    def mine(rule):
        """The rule names the network, its bridge, or an address inside it."""
        if named.search(rule):
            return True
        for addr in re.findall(r"(?:^|\s)!?\s?-[sd] (\S+)", rule):
            try:
                if ipaddress.ip_network(addr, strict=False).subnet_of(net):
                    return True
            except (ValueError, TypeError):
                pass
        return False

    percontainer = re.compile(r"CNI-(DN-)?[0-9a-f]{20,}")
    tables, table = {}, None
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("*"):
            table = line[1:]
            tables[table] = {"chains": [], "rules": []}
        elif line.startswith(":") and table:
            tables[table]["chains"].append(line[1:].split()[0])
        elif line.startswith("-A ") and table:
            tables[table]["rules"].append(line[3:])
    out = []
    for name, t in tables.items():
        ours = [r for r in t["rules"] if mine(r)]
        jumps = {m.group(1) for r in ours for m in [re.search(r"-j (\S+)", r)] if m}
        chains = sorted(c for c in jumps if c in t["chains"] and percontainer.fullmatch(c))
        ours += [r for r in t["rules"] if r.split()[0] in chains and r not in ours]
        chains += shared_chains_left_empty(t["rules"], ours)
        ours += [r for r in t["rules"] if r not in ours and shared_jump(r, chains)]
        if not ours and not chains:
            continue
        out.append("*" + name)
        out += ["-D " + r for r in ours]
        out += ["-X " + c for c in chains]
        out.append("COMMIT")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: engine-firewall.py NETWORK CIDR < iptables-save-output")
    for line in deletions(sys.stdin, sys.argv[1], sys.argv[2]):
        print(line)
