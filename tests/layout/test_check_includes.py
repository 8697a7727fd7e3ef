#!/usr/bin/env python3
"""Self-test of check_includes.py: a tree with a folder cycle fails, the same tree without it
passes, and an include without its folder fails."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, 'check_includes.py')


def tree(files):
    root = tempfile.mkdtemp(prefix='check-includes-')
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    return root


def run(root):
    return subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)


def main():
    base = {'core/buf.h': '', 'loop/loop.h': '#include "core/buf.h"\n',
            'delivery/finish.c': '#include "core/buf.h"\n'}
    ok = run(tree(base))
    assert ok.returncode == 0, ok.stdout
    cyc = dict(base)
    cyc['core/buf.c'] = '#include "delivery/finish.h"\n'
    cyc['delivery/finish.h'] = '#include "loop/loop.h"\n'
    bad = run(tree(cyc))
    assert bad.returncode == 1 and 'cycle' in bad.stdout, bad.stdout
    assert 'core/buf.c:1' in bad.stdout, bad.stdout
    flat = dict(base)
    flat['loop/loop.c'] = '#include "buf.h"\n'
    bad = run(tree(flat))
    assert bad.returncode == 1 and 'without its folder' in bad.stdout, bad.stdout
    print('test_check_includes: 3 cases passed')


if __name__ == '__main__':
    main()
