#!/usr/bin/env python3
"""Checks the built-in SNMP names (src/ingest/snmp/builtin_names.cpp) against
MIB modules with net-snmp's parser (snmptranslate, Debian package `snmp`).

  scripts/verify-snmp-names.py MIBDIR[:MIBDIR...]

For every row: MODULE::name must translate to the row's OID, the kind must
match the macro (OBJECT-TYPE, NOTIFICATION-TYPE/TRAP-TYPE, OBJECT-IDENTITY or
OBJECT IDENTIFIER), and every named value must be one the MIB defines.
Debian ships no IETF MIB modules: point it at a directory holding them
(snmp-mibs-downloader's /usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana,
or the mibs/ directory of the net-snmp sources). Rows whose module is not
found are listed as "not found" and not counted as wrong. Exit status 1 when
a row is wrong.
"""
import re
import subprocess
import sys
from pathlib import Path

ROW = re.compile(r'\{"([\w-]+)", "(\w+)", "([\d.]+)", ([ONI]),\s*((?:"[^"]*"\s*)+)\}', re.S)
KINDS = {'O': ('OBJECT-TYPE',), 'N': ('NOTIFICATION-TYPE', 'TRAP-TYPE'),
         'I': ('OBJECT-IDENTITY', 'OBJECT IDENTIFIER')}


def translate(mibdirs, module, *args):
    # Only the module (and what it imports): with -m ALL, RFC1213-MIB's older
    # definitions of the same OIDs (ifType, ifOperStatus) would answer.
    return subprocess.run(['snmptranslate', '-M', mibdirs, '-m', module, *args],
                          capture_output=True, text=True).stdout


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    mibdirs = sys.argv[1]
    source = Path(__file__).resolve().parent.parent / 'src/ingest/snmp/builtin_names.cpp'
    rows = ROW.findall(source.read_text())
    wrong = missing = 0
    for module, name, oid, kind, enums in rows:
        enums = ''.join(re.findall(r'"([^"]*)"', enums))
        got = translate(mibdirs, module, '-On', f'{module}::{name}').strip()
        if not got:
            print(f'not found: {module}::{name}')
            missing += 1
            continue
        if got != '.' + oid:
            print(f'WRONG OID: {module}::{name} is {got}, the table says {oid}')
            wrong += 1
            continue
        text = translate(mibdirs, module, '-Td', '-OS', f'{module}::{name}')
        macro = re.search(r'(OBJECT-TYPE|NOTIFICATION-TYPE|TRAP-TYPE|OBJECT-IDENTITY|OBJECT IDENTIFIER)', text)
        if not macro or macro.group(1) not in KINDS[kind]:
            print(f'WRONG KIND: {module}::{name} is {macro.group(1) if macro else "?"}, the table says {kind}')
            wrong += 1
        syntax = re.search(r'SYNTAX\s+\w+\s*\{([^}]*)\}', text, re.S)
        mib_enums = set(re.findall(r'([\w-]+)\s*\((-?\d+)\)', syntax.group(1))) if syntax else set()
        table_enums = set(re.findall(r'([\w-]+)\((-?\d+)\)', enums))
        if table_enums - mib_enums:
            print(f'WRONG VALUES: {module}::{name}: {sorted(table_enums - mib_enums)} not in the MIB')
            wrong += 1
    print(f'{len(rows)} rows: {len(rows) - wrong - missing} right, {wrong} wrong, {missing} not found')
    return 1 if wrong else 0


if __name__ == '__main__':
    sys.exit(main())
