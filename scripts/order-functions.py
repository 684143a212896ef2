#!/usr/bin/env python3
"""Lists the functions of BINARY that ran, from callgrind outputs made with --dump-instr=yes.

Usage: order-functions.py [--map LLD_MAP] BINARY CALLGRIND_OUT... > order

A function counts if callgrind names it (fn=/cfn=) or if an instruction it executed lies inside it (callgrind
attributes some code to a neighbouring name). Names are printed in the order first met, once each, and only
those the binary defines as functions, since lld's --symbol-ordering-file takes symbol names.

lld moves whole input sections. With the link map of the binary (-Map), the functions that share a large
section with others (the toolchain's archives keep most of the standard library in one) go last, so the
sections that hold little besides the functions that ran are laid out together first.
"""
import bisect
import re
import subprocess
import sys

arguments = sys.argv[1:]
link_map = None
if arguments[:1] == ["--map"]:
    link_map, arguments = arguments[1], arguments[2:]
binary, outputs = arguments[0], arguments[1:]
symbols = []
for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    fields = line.split()
    if len(fields) == 3 and fields[1] in "tTwW":
        symbols.append((int(fields[0], 16), fields[2]))
symbols.sort()
starts = [address for address, _ in symbols]
defined = {name for _, name in symbols}

order, seen = [], set()


def add(name):
    if name in defined and name not in seen:
        seen.add(name)
        order.append(name)


named = re.compile(r"^c?fn=\((\d+)\)(?: (.*))?$")
objects = re.compile(r"^(c?ob)=\((\d+)\)(?: (.*))?$")
position = re.compile(r"^(0x[0-9a-f]+|[+-]\d+|\*)")
image = binary.rsplit("/", 1)[-1]


def records(path):
    """(kind, value, in_binary) for each function name and executed instruction address, in file order."""
    object_names, function_names = {}, {}
    in_binary, address = False, 0
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            match = objects.match(line)
            if match:
                if match.group(3):
                    object_names[match.group(2)] = match.group(3)
                if match.group(1) == "ob":
                    in_binary = object_names.get(match.group(2), "").rsplit("/", 1)[-1] == image
                continue
            match = named.match(line)
            if match:
                if match.group(2):
                    function_names[match.group(1)] = match.group(2)
                yield "name", function_names.get(match.group(1), ""), in_binary and line.startswith("fn=")
                continue
            if line.startswith(("calls=", "jump=", "jcnd=")):
                continue  # a target's position; its own lines give it
            match = position.match(line)
            if not match:
                continue
            token = match.group(1)
            if token.startswith("0x"):
                address = int(token, 16)
            elif token != "*":
                address += int(token)
            yield "address", address, in_binary


# Valgrind loads a position-independent binary at an address of its choosing: the load bias is the most common
# page-aligned difference between where a function's first instruction ran and where nm puts the function.
address_of = {name: address for address, name in symbols}
votes = {}
for path in outputs:
    pending = None
    for kind, value, in_binary in records(path):
        if kind == "name":
            pending = address_of.get(value) if in_binary else None
        elif pending is not None:
            bias = (value - pending) & ~0xFFF
            votes[bias] = votes.get(bias, 0) + 1
            pending = None
bias = max(votes, key=votes.get) if votes else 0

for path in outputs:
    for kind, value, in_binary in records(path):
        if kind == "name":
            add(value)
        elif in_binary:
            index = bisect.bisect_right(starts, value - bias) - 1
            if index >= 0:
                add(symbols[index][1])

LARGE = 64 * 1024


def section_sizes(path):
    """The size of the .text input section each symbol of the map lies in."""
    section = re.compile(r"^\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ {9}\S.*:\(\.text[^)]*\)$")
    symbol = re.compile(r"^\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+ {17}(\S.*)$")
    sizes, size, in_text = {}, None, False
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not in_text:
                in_text = line.endswith(" .text")
                continue
            if re.search(r" \.(init|fini|plt)$", line):
                break
            match = section.match(line)
            if match:
                size = int(match.group(1), 16)
                continue
            match = symbol.match(line)
            if match and size is not None:
                sizes.setdefault(match.group(1), size)
    return sizes


if link_map:
    sizes = section_sizes(link_map)
    order = [name for name in order if sizes.get(name, 0) < LARGE] + [
        name for name in order if sizes.get(name, 0) >= LARGE
    ]
print("\n".join(order))
