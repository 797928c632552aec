#!/usr/bin/env python3
"""Summarizes an async-profiler collapsed profile of the wspush server (bench/profile.sh).

  bench/profile.py FILE                 where the CPU went: threads' kinds, then layers (the deepest frame of a
                                        known owner), each split into its own code and the kernel below it
  bench/profile.py FILE --tree FRAME [DEPTH] [MIN%]
                                        the calls below FRAME (a substring of a frame, innermost occurrence), as
                                        shares of all samples
Shares are of all samples of the profile (every thread of the server).
"""
import collections
import sys

OWNERS = [("io/wspush", "wspush"), ("org/eclipse/jetty/websocket", "jetty websocket"),
          ("org/eclipse/jetty/ee10/websocket", "jetty websocket"), ("org/eclipse/jetty", "jetty"),
          ("org/glassfish/jersey", "jersey"), ("org/glassfish/hk2", "hk2"), ("org/jvnet/hk2", "hk2"),
          ("org/jboss/weld", "weld"), ("org/eclipse/parsson", "json-p"), ("org/eclipse/yasson", "json-b"),
          ("io/micrometer", "micrometer"), ("org/HdrHistogram", "micrometer"), ("io/lettuce", "lettuce"),
          ("io/netty", "netty"), ("org/apache/tomcat", "tomcat"), ("org/apache/catalina", "tomcat"),
          ("org/apache/coyote", "tomcat")]


def read(path):
    stacks = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        frames, count = line.rsplit(" ", 1)
        stacks.append((frames.split(";"), int(count)))
    return stacks


def is_kernel(frame):
    return frame.endswith("_[k]")


def kind(frames):
    text = ";".join(frames)
    if "CompileBroker::" in text:
        return "JIT compiler threads"
    if "VMThread::" in text or "GCTaskThread" in text or "ConcurrentGCThread" in text:
        return "GC and VM operations"
    if frames and ("/" in frames[0] or "." in frames[0]):
        return "Java threads"
    return "other JVM threads"


def owner(frames):
    for f in reversed(frames):
        for prefix, name in OWNERS:
            if f.startswith(prefix):
                return name
    return "JDK only"


def summary(stacks):
    total = sum(c for _, c in stacks)
    kinds, layers = collections.Counter(), collections.Counter()
    for frames, c in stacks:
        k = kind(frames)
        kinds[k] += c
        if k == "Java threads":
            layers[(owner(frames), is_kernel(frames[-1]))] += c
    print(f"{total} samples")
    for k, c in kinds.most_common():
        print(f"{100 * c / total:5.1f}%  {k}")
    print("Java threads by the deepest frame of a known owner (own code | kernel below it):")
    names = collections.Counter()
    for (name, _), c in layers.items():
        names[name] += c
    for name, c in names.most_common():
        own, kern = layers[(name, False)], layers[(name, True)]
        print(f"{100 * c / total:5.1f}%  {name:16} ({100 * own / total:.1f}% | {100 * kern / total:.1f}% kernel)")


def tree(stacks, root, depth, minimum):
    total = sum(c for _, c in stacks)
    top = {"_": 0}
    for frames, c in stacks:
        at = [i for i, f in enumerate(frames) if root in f]
        if not at:
            continue
        node = top
        node["_"] += c
        for f in frames[at[-1] + 1:at[-1] + 1 + depth]:
            node = node.setdefault(f, {"_": 0})
            node["_"] += c

    def show(node, indent):
        for name, child in sorted(((k, v) for k, v in node.items() if k != "_"), key=lambda kv: -kv[1]["_"]):
            share = 100 * child["_"] / total
            if share >= minimum:
                print(f"{'  ' * indent}{share:5.1f}% {name}")
                show(child, indent + 1)

    print(f"{100 * top['_'] / total:5.1f}% {root}")
    show(top, 1)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    data = read(sys.argv[1])
    if len(sys.argv) > 3 and sys.argv[2] == "--tree":
        tree(data, sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 8,
             float(sys.argv[5]) if len(sys.argv) > 5 else 0.5)
    else:
        summary(data)
