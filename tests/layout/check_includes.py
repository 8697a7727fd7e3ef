#!/usr/bin/env python3
"""Fails when the folders of bridge/ include each other in a cycle.

Every `#include "folder/file.h"` line in bridge/ is an edge from the including file's folder to
`folder`. Folders must form a directed acyclic graph (the loop on top, the stages below it, the
shared pieces at the bottom); an edge that closes a cycle is printed with the lines that make it,
and the exit code is 1. An include of a header that does not exist, or one written without its
folder, is an error too, so the graph cannot be bypassed.

    tests/layout/check_includes.py [BRIDGE_DIR]     # default: the bridge/ next to tests/
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def scan(root):
    """{folder: {included folder: [(file, line number, text)]}} and a list of errors."""
    edges, errors = {}, []
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            folder = os.path.dirname(rel) or '.'
            edges.setdefault(folder, {})
            with open(path, encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if '/' not in target:
                        errors.append('%s:%d: include "%s" without its folder' % (rel, lineno, target))
                        continue
                    if not os.path.isfile(os.path.join(root, target)):
                        errors.append('%s:%d: "%s" is not a header of bridge/' % (rel, lineno, target))
                        continue
                    dep = os.path.dirname(target)
                    if dep != folder:
                        edges[folder].setdefault(dep, []).append((rel, lineno, line.strip()))
    return edges, errors


def find_cycle(edges):
    """One cycle as a list of folders [a, b, ..., a], or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for dep in sorted(edges.get(node, {})):
            if state.get(dep) == 'open':
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 'done'
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'bridge')
    edges, errors = scan(os.path.abspath(root))
    for e in errors:
        print('check_includes: ' + e)
    cycle = find_cycle(edges)
    if cycle:
        print('check_includes: include cycle between folders: ' + ' -> '.join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            for rel, lineno, text in edges[a][b]:
                print('  %s:%d: %s' % (rel, lineno, text))
    if errors or cycle:
        return 1
    order = sorted(edges, key=lambda f: (-len(edges[f]), f))
    for folder in order:
        print('%-10s -> %s' % (folder, ', '.join(sorted(edges[folder])) or '(nothing)'))
    print('check_includes: %d folders, no cycle' % len(edges))
    return 0


if __name__ == '__main__':
    sys.exit(main())
