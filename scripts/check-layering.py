#!/usr/bin/env python3
"""Check every #include in lib/ against the module order in docs/ARCHITECTURE.md.

The order is the fenced block after the line "Module order (lowest first):".
A module may include its own headers (spelled "name.h") and those of modules
listed before it (spelled "lib/MOD/name.h").  A private header (*_int.h) is
included only by its own module.  cli/ and tests/ may include any public
header (unit tests may also include private ones).  Prints TAP; exits 1 on any violation, naming file:line.

Also: lib/ reads no environment variable (the program reads them once, in
cli/env.c, and hands them in as lib/util/settings.h); the two exceptions
documented in settings.h are listed in GETENV_ALLOWED.
"""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
arch = open(os.path.join(top, 'docs/ARCHITECTURE.md'), encoding='utf-8').read()
m = re.search(r'Module order \(lowest first\):\s*\n```[a-z]*\n(.*?)```', arch, re.S)
if not m:
    print('Bail out! docs/ARCHITECTURE.md: no "Module order (lowest first):" block')
    sys.exit(1)
order = [ln.split()[0] for ln in m.group(1).splitlines() if ln.strip() and not ln.startswith('#')]
rank = {mod: i for i, mod in enumerate(order)}
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
getenv_re = re.compile(r'\b(?:secure_)?getenv\s*\(\s*("[^"]*")?')
# (file, variable): where lib/ reads the environment as libc would (settings.h)
GETENV_ALLOWED = {('lib/util/settings.c', '"TMPDIR"'), ('lib/runtime/run.c', '"PATH"')}
env_problems = []

problems = []
checked = 0
on_disk = sorted(d for d in os.listdir(os.path.join(top, 'lib')) if os.path.isdir(os.path.join(top, 'lib', d)))
for mod in on_disk:
    if mod not in rank:
        problems.append(f'lib/{mod}/: module not listed in docs/ARCHITECTURE.md')
for root in ('lib', 'cli', 'tests/unit', 'tests/fuzz'):
    for dirpath, _, names in os.walk(os.path.join(top, root)):
        for name in sorted(names):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, top)
            parts = rel.split('/')
            mod = parts[1] if parts[0] == 'lib' else None
            with open(path, encoding='utf-8', errors='replace') as f:
                for lineno, line in enumerate(f, 1):
                    ge = getenv_re.search(line) if mod is not None else None
                    if ge and (rel, ge.group(1)) not in GETENV_ALLOWED:
                        env_problems.append(f'{rel}:{lineno}: getenv in lib/: read it in cli/env.c and pass it in '
                                            '(lib/util/settings.h or an options struct)')
                    mm = inc_re.match(line)
                    if not mm:
                        continue
                    checked += 1
                    target = mm.group(1)
                    where = f'{rel}:{lineno}'
                    if '..' in target.split('/'):
                        problems.append(f'{where}: "{target}": spell it "lib/MOD/name.h", not with ..')
                        continue
                    if target.startswith('lib/'):
                        tparts = target.split('/')
                        tmod = tparts[1]
                        if not os.path.exists(os.path.join(top, target)):
                            problems.append(f'{where}: "{target}": no such header')
                            continue
                        if tmod not in rank:
                            problems.append(f'{where}: "{target}": module {tmod} not in the order')
                            continue
                        if mod is not None:
                            if tmod == mod:
                                problems.append(f'{where}: "{target}": same module, spell it "{tparts[-1]}"')
                            elif rank[tmod] > rank.get(mod, -1):
                                problems.append(f'{where}: {mod} includes {target}, but {tmod} comes after {mod}')
                        if tparts[-1].endswith('_int.h') and tmod != mod and parts[0] in ('lib', 'cli'):
                            problems.append(f'{where}: "{target}" is private to lib/{tmod}')
                    elif mod is not None and not os.path.exists(os.path.join(dirpath, target)):
                        problems.append(f'{where}: "{target}": not in lib/{mod}/')

print('1..3')
print(f'{"ok" if not [p for p in problems if "module" in p and "not listed" in p] else "not ok"} 1 - every lib/ module is in the order ({len(order)} listed)')
print(f'{"ok" if not problems else "not ok"} 2 - {checked} includes follow the module order')
for p in problems:
    print('# ' + p)
print(f'{"ok" if not env_problems else "not ok"} 3 - lib/ reads no environment variable '
      f'(except {len(GETENV_ALLOWED)} documented in lib/util/settings.h)')
for p in env_problems:
    print('# ' + p)
sys.exit(1 if problems or env_problems else 0)
