#!/bin/sh
# extern-unused.sh — lists the functions declared in a header under src/ whose name appears in
# no file other than that header and the one .c that defines it, and fails (exit 1) if there
# is any: such a function is file-local and belongs `static` in its .c, with no declaration in
# the header (docs/internals/layers.md, "Headers"). A name used only in a comment elsewhere
# or a string counts as unused; a test or fuzz target that calls the function (or #includes its .c and
# calls it) counts as a use, so a function exported for its tests stays exported; so does a
# macro of the header itself that expands to a call (log.h's log_error and log_msg).
#
# What counts as a declaration: a statement at file scope of a header (outside any braces and
# preprocessor lines) that is not static, not a typedef and not a function pointer, with the
# form `... name(...)...;`. The files searched for uses: src/, tests/, fuzz/, bench/ (*.c, *.h).
#
# An intended interface with no caller yet may go on the ALLOW line below, with the reason in
# a comment next to it; prefer making it static until it has a caller.
# Usage: scripts/extern-unused.sh [TREE]   (default: the checkout this script is in)
set -u
tree=${1:-$(dirname "$0")/..}
# names allowed to stay extern with no other user (space-separated; none today)
ALLOW=''
exec python3 - "$tree" "$ALLOW" <<'EOF'
import os, re, sys

tree, allow = sys.argv[1], set(sys.argv[2].split())
# comments and the insides of string and character literals go (a name in a log text is no use)
lexeme = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def strip(text):
    def sub(m):
        s = m.group(0)
        if s.startswith('/'):
            return ' ' if s.startswith('//') else re.sub(r'[^\n]', ' ', s)
        return '""'
    return lexeme.sub(sub, text)


def declarations(text):
    """The names of the extern functions a header declares."""
    text = strip(text)
    # preprocessor lines, with their continuations
    text = re.sub(r'(?m)^[ \t]*#(?:[^\n]*\\\n)*[^\n]*', ' ', text)
    # every braced block at file scope becomes a statement end
    out, depth = [], 0
    for ch in text:
        if ch == '{':
            if depth == 0:
                out.append(';')
            depth += 1
        elif ch == '}':
            depth -= 1
        elif depth == 0:
            out.append(ch)
    names = []
    for stmt in ''.join(out).split(';'):
        stmt = ' '.join(stmt.split())
        if not stmt or re.match(r'(static|typedef)\b', stmt) or re.match(r'[^(]*\(\s*\*', stmt):
            continue  # not a function, or a pointer to one: type (*name)(...)
        for name in re.findall(r'\b([A-Za-z_]\w*)\s*\(', stmt):
            if name.startswith('__') or name.isupper() or name in ('sizeof', 'typeof'):
                continue  # attributes and macros before the name
            names.append(name)
            break
    return names


files = []
for top in ('src', 'tests', 'fuzz', 'bench'):
    for root, _, fs in os.walk(os.path.join(tree, top)):
        files += [os.path.join(root, f) for f in fs if f.endswith(('.c', '.h'))]
users = {}  # identifier -> the files it appears in (outside comments)
for path in files:
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    for ident in set(re.findall(r'[A-Za-z_]\w*', strip(text))):
        users.setdefault(ident, set()).add(path)

found = []
for path in sorted(files):
    rel = os.path.relpath(path, tree)
    if not (rel.startswith('src' + os.sep) and rel.endswith('.h')):
        continue
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    # a macro of the header that calls the function is a use (log.h's log_error → log_msg)
    macros = set(re.findall(r'[A-Za-z_]\w*', ' '.join(
        re.findall(r'(?m)^[ \t]*#[ \t]*define(?:[^\n]*\\\n)*[^\n]*', strip(text)))))
    for name in declarations(text):
        if name in allow or name in macros:
            continue
        others = sorted(users.get(name, set()) - {path})
        if not others:
            found.append('%s: %s is declared but used nowhere' % (rel, name))
        elif len(others) == 1 and others[0].endswith('.c'):
            found.append('%s: %s is used only in %s: make it static there'
                         % (rel, name, os.path.relpath(others[0], tree)))
print('extern functions of src/**/*.h with no user outside their own .c:')
for line in found:
    print('    ' + line)
if found:
    print('extern-unused: %d found' % len(found))
    sys.exit(1)
print('extern-unused: none')
EOF
