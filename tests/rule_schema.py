#!/usr/bin/env python3
"""Checks schemas/ticketd-rules.schema.json and schemas/ticketd-rule-tests.schema.json,
the JSON Schemas editors use to validate and complete rule files and rule test
files (docs/rule-schema.md), against the files and the loader they describe.

    tests/rule_schema.py --source REPO --ticketctl BUILD/ticketctl [CHECK ...]

CHECKs (default: all):
  good     every shipped rule file (rules/*.yaml) and rule test file
           (rules/tests/**), every file of tests/testdata/rule_schema/good/
           (which ticketctl must accept), and every other rule or rule test
           file under tests/testdata that ticketctl accepts, validates.
  bad      every file of tests/testdata/rule_schema/bad/ is rejected by the
           schema AND by `ticketctl check-rules` (rule files) or
           `ticketctl test-rules` (test files), with the message its first
           line names: `# rejected: TEXT`.
  keys     the schemas name exactly the keys and values the loader's source
           accepts: the key lists of src/rules/rule_loader.cpp (top level,
           rule, ticket, match fields, every check_keys()/unknown_key() list),
           and the names in src/core (severities and aliases, ticket types,
           levels, statuses, resolution codes, duration units). The rule test
           file keys are compared in C++ (tests/unit/rule_schema_test.cpp),
           where the loader's lists are public.

YAML is read as YAML 1.2 (like yaml-language-server): only true/false are
booleans and timestamps stay strings. Exits 1 on a problem, 77 (ctest:
skipped) when python3-jsonschema is missing.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:  # python3-yaml
    yaml = None

RULES_SCHEMA = "schemas/ticketd-rules.schema.json"
TESTS_SCHEMA = "schemas/ticketd-rule-tests.schema.json"
RULE_TOP_KEYS = {"rules", "inhibit", "problems", "storm", "sla", "escalate"}


# --- YAML 1.2 core schema on PyYAML (which implements YAML 1.1) -------------

def make_loader():
    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {}
    resolvers = [
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int",
         r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ]
    for tag, pattern, first in resolvers:
        Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))

    def int_12(loader, node):
        text = loader.construct_scalar(node)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)

    def mapping(loader, node):
        # JSON keys are strings; a YAML key like 1 or true reads as its text.
        loader.flatten_mapping(node)
        return {str(k.value): loader.construct_object(v, deep=True) for k, v in node.value}

    Loader.add_constructor("tag:yaml.org,2002:int", int_12)
    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    return Loader


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=make_loader())


# --- helpers -----------------------------------------------------------------

class Report:
    def __init__(self):
        self.problems = 0

    def fail(self, msg):
        print("FAIL " + msg)
        self.problems += 1


def schema_errors(validator, doc):
    out = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        # anyOf/oneOf failures: the innermost reasons say more.
        msg = e.message if len(e.message) < 200 else e.message[:200] + "…"
        out.append(f"{where}: {msg}")
    return out


def kind_of(doc):
    """'tests', 'rules' or None: what ticketctl would take the file for."""
    if isinstance(doc, dict) and "tests" in doc:
        return "tests"
    if isinstance(doc, dict) and doc and set(doc) <= RULE_TOP_KEYS:
        return "rules"
    return None


def run_ticketctl(ticketctl, kind, path):
    cmd = [ticketctl, "check-rules" if kind == "rules" else "test-rules", path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=60)
    return p.returncode, p.stdout


def rel(source, path):
    return os.path.relpath(path, source)


# --- checks ------------------------------------------------------------------

def check_good(args, validators, report):
    src = args.source
    shipped = [("rules", p) for p in sorted(glob.glob(os.path.join(src, "rules", "*.y*ml")))]
    shipped += [("tests", p) for p in
                sorted(glob.glob(os.path.join(src, "rules", "tests", "**", "*.y*ml"), recursive=True))]
    if len(shipped) < 2:
        report.fail(f"no shipped rule files found under {src}/rules")
    good_dir = os.path.join(src, "tests", "testdata", "rule_schema", "good")
    corpus = sorted(glob.glob(os.path.join(good_dir, "*.y*ml")))
    if not corpus:
        report.fail(f"no files in {good_dir}")
    others = []
    for p in sorted(glob.glob(os.path.join(src, "tests", "testdata", "**", "*.y*ml"),
                              recursive=True)):
        if os.path.join("testdata", "rule_schema") + os.sep not in p:
            others.append(p)

    checked = 0
    for origin, paths in (("shipped", [p for _, p in shipped]), ("good", corpus),
                          ("testdata", others)):
        for path in paths:
            try:
                doc = load_yaml(path)
            except yaml.YAMLError as e:
                if origin != "testdata":
                    report.fail(f"{rel(src, path)}: YAML: {e}")
                continue
            kind = kind_of(doc)
            if origin == "shipped":
                kind = "tests" if os.sep + "tests" + os.sep in rel(src, path) else "rules"
            if kind is None:
                if origin == "good":
                    report.fail(f"{rel(src, path)}: neither a rule file nor a rule test file")
                continue
            if origin != "shipped":
                code, out = run_ticketctl(args.ticketctl, kind, path)
                if code != 0:
                    if origin == "good":
                        report.fail(f"{rel(src, path)}: ticketctl rejects a file of the good "
                                    f"corpus:\n{out.rstrip()}")
                    continue  # testdata that ticketctl rejects is not the schema's business
            errors = schema_errors(validators[kind], doc)
            checked += 1
            if errors:
                report.fail(f"{rel(src, path)}: valid for ticketctl but not for the {kind} "
                            "schema:\n  " + "\n  ".join(errors))
            elif args.verbose:
                print(f"ok   {rel(src, path)} ({kind})")
    print(f"good: {checked} files validated")


def check_bad(args, validators, report):
    src = args.source
    bad_dir = os.path.join(src, "tests", "testdata", "rule_schema", "bad")
    files = sorted(glob.glob(os.path.join(bad_dir, "*.y*ml")))
    if len(files) < 10:
        report.fail(f"expected the bad corpus in {bad_dir}, found {len(files)} files")
    for path in files:
        name = rel(src, path)
        with open(path, encoding="utf-8") as f:
            first = f.readline()
        m = re.match(r"#\s*rejected:\s*(.+?)\s*$", first)
        if not m:
            report.fail(f"{name}: first line must be '# rejected: TEXT' (the expected message)")
            continue
        want = m.group(1)
        try:
            doc = load_yaml(path)
        except yaml.YAMLError as e:
            report.fail(f"{name}: YAML: {e}")
            continue
        base = os.path.basename(path)
        kind = "rules" if base.startswith("rule_") else "tests" if base.startswith("test_") else None
        if kind is None:
            report.fail(f"{name}: name a bad file rule_*.yaml or test_*.yaml")
            continue
        before = report.problems
        code, out = run_ticketctl(args.ticketctl, kind, path)
        cmd = "check-rules" if kind == "rules" else "test-rules"
        if code == 0:
            report.fail(f"{name}: ticketctl {cmd} accepts it:\n{out.rstrip()}")
        elif want not in out:
            report.fail(f"{name}: ticketctl {cmd} rejects it, but not with \"{want}\":\n"
                        f"{out.rstrip()}")
        errors = schema_errors(validators[kind], doc)
        if not errors:
            report.fail(f"{name}: the {kind} schema accepts it")
        if args.verbose and report.problems == before:
            print(f"ok   {name}: {cmd}: {want} | schema: {errors[0]}")
    print(f"bad: {len(files)} files checked")


def cpp_strings(text):
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)


def named_list(source, name):
    """The strings of `NAME = {...};` or `NAME[] = {...};` in C++ source."""
    m = re.search(r"\b" + re.escape(name) + r"\s*(?:\[\])?\s*=\s*\{(.*?)\};", source, re.S)
    if not m:
        raise LookupError(name)
    return cpp_strings(m.group(1))


def pointer(schema, ptr):
    node = schema
    for part in ptr.strip("/").split("/"):
        if part:
            node = node[part]
    return node


def prop_names(schema, ptr):
    return set(pointer(schema, ptr).get("properties", {}))


def enum_of(schema, ptr):
    node = pointer(schema, ptr)
    for alt in [node] + node.get("anyOf", []) + node.get("allOf", []):
        if "enum" in alt:
            return set(alt["enum"])
    raise LookupError(ptr + " has no enum")


def check_keys(args, schemas, report):
    src = args.source
    rs, ts = schemas["rules"], schemas["tests"]

    def read(path):
        with open(os.path.join(src, path), encoding="utf-8") as f:
            return f.read()

    def same(what, loader, schema_set, where):
        loader, schema_set = set(loader), set(schema_set)
        if loader != schema_set:
            msg = f"{what}: the loader and {where} differ"
            if loader - schema_set:
                msg += f"; only the loader has {sorted(loader - schema_set)}"
            if schema_set - loader:
                msg += f"; only the schema has {sorted(schema_set - loader)}"
            report.fail(msg)
        elif args.verbose:
            print(f"ok   {what}: {sorted(loader)}")

    loader = read("src/rules/rule_loader.cpp")
    fields = named_list(loader, "kFieldNames")
    match_keys = fields + ["any", "not"]
    same("rule file top-level keys (kTopKeys)", named_list(loader, "kTopKeys"),
         prop_names(rs, ""), RULES_SCHEMA + " properties")
    same("rule keys (kRuleKeys)", named_list(loader, "kRuleKeys"),
         prop_names(rs, "definitions/rule"), "definitions/rule")
    same("ticket keys (kTicketKeys)", named_list(loader, "kTicketKeys"),
         prop_names(rs, "definitions/ticket"), "definitions/ticket")
    same("match fields (kFieldNames + any, not)", match_keys,
         prop_names(rs, "definitions/match"), "definitions/match")
    same("selector fields (kFieldNames + any, not, rule)", match_keys + ["rule"],
         prop_names(rs, "definitions/selector"), "definitions/selector")
    same("group_by/equal fields (kFieldNames)", fields,
         enum_of(rs, "definitions/fieldName"), "definitions/fieldName")
    for ptr in ("definitions/match", "definitions/selector"):
        pats = set(pointer(rs, ptr).get("patternProperties", {}))
        if pats != {r"^labels\..+$", r"^annotations\..+$"}:
            report.fail(f"{ptr}: patternProperties must be labels.NAME and annotations.NAME")
        if pointer(rs, ptr).get("additionalProperties") is not False:
            report.fail(f"{ptr}: additionalProperties must be false")

    # Every other key list of the loader: check_keys(node, WHAT, {...}) and
    # unknown_key(key, WHAT, {...}). WHAT is mapped to the schema object here;
    # a new list that is not mapped fails, so the schema cannot fall behind.
    where = {
        '"inhibit"': "definitions/inhibit",
        '"problems"': "definitions/problem",
        "what.substr(1, what.size() - 2)": "definitions/threshold",
        '"flapping"': "definitions/rule/properties/flapping",
        '"storm"': "properties/storm",
        '"sla." + p': "definitions/slaTarget",
        '"escalate"': "definitions/escalation",
        '"escalate.when"': "definitions/escalation/properties/when",
        '"escalate.do"': "definitions/escalation/properties/do",
        '"resolve_when"': "definitions/rule/properties/resolve_when",
    }
    seen = set()
    calls = re.finditer(r"\b(check_keys|unknown_key)\(\s*[^,()]+(?:\([^()]*\))?,\s*([^;{}]+?),\s*"
                        r"\{([^{}]*)\}\s*\)", loader, re.S)
    for m in calls:
        what = " ".join(m.group(2).split())
        keys = cpp_strings(m.group(3))
        if what not in where:
            report.fail(f"rule_loader.cpp: {m.group(1)}({what}, {keys}) is a key list "
                        "tests/rule_schema.py does not know; add the keys to the schema and "
                        "WHAT to the map in check_keys()")
            continue
        seen.add(what)
        same(f"{m.group(1)}({what})", keys, prop_names(rs, where[what]), where[what])
    for what in sorted(set(where) - seen):
        report.fail(f"rule_loader.cpp: no key list for {what} any more; update the map in "
                    "tests/rule_schema.py")
    for ptr in list(where.values()) + ["", "definitions/rule", "definitions/ticket"]:
        if pointer(rs, ptr).get("additionalProperties") is not False:
            report.fail(f"{RULES_SCHEMA} {ptr or '(top)'}: additionalProperties must be false")

    # Names in src/core: every value the loader accepts is completed by the
    # schema, and nothing else.
    event = read("src/core/event.cpp")
    ticket = read("src/core/ticket.cpp")
    severities = named_list(event, "kSeverityNames")
    parse = re.search(r"parse_severity\(std::string_view name\)\s*\{(.*?)\n\}", event, re.S)
    aliases = re.findall(r'n == "(\w+)"', parse.group(1)) if parse else []
    if not aliases:
        report.fail("src/core/event.cpp: severity aliases not found in parse_severity()")
    same("event fields (event.cpp kScalarFields)", named_list(event, "kScalarFields"), fields,
         "rule_loader.cpp kFieldNames")
    sev_pattern = next(a["pattern"] for a in
                       pointer(ts, "definitions/event/properties/severity")["anyOf"]
                       if "pattern" in a)
    for name in severities + aliases:
        for form in (name, name.upper(), name.capitalize()):
            if not re.search(sev_pattern, form):
                report.fail(f"severity \"{form}\" does not match the test schema's pattern")
        for form in (name, ">=" + name.upper(), "<" + name, "!" + name, "== " + name):
            rule = {"rules": [{"name": "x", "match": {"severity": form}}]}
            if schema_errors(args.validators["rules"], rule):
                report.fail(f"match severity \"{form}\" is rejected by the rules schema")
    for form in ("warnin", ">=", "!>=warning", "=>warning"):
        rule = {"rules": [{"name": "x", "match": {"severity": form}}]}
        if not schema_errors(args.validators["rules"], rule):
            report.fail(f"match severity \"{form}\" is accepted by the rules schema")
    same("severity names (event.cpp kSeverityNames)", severities,
         enum_of(ts, "definitions/event/properties/severity"), "the test event's severity enum")
    types = named_list(ticket, "kTypeNames")
    levels = named_list(ticket, "kLevelNames")
    statuses = named_list(ticket, "kStatusNames")
    same("ticket types (kTypeNames)", types, pointer(rs, "definitions/ticket/properties/type")["enum"],
         "ticket.type")
    same("ticket types (kTypeNames)", types, pointer(ts, "definitions/expectation/properties/type")["enum"],
         "expect type")
    for key in ("impact", "urgency"):
        same(f"levels (kLevelNames)", levels,
             pointer(rs, f"definitions/ticket/properties/{key}")["enum"], f"ticket.{key}")
        same(f"levels (kLevelNames)", levels,
             pointer(ts, f"definitions/expectation/properties/{key}")["enum"], f"expect {key}")
    same("ticket statuses (kStatusNames)", statuses,
         pointer(ts, "definitions/expectation/properties/status")["enum"], "expect status")
    same("resolution codes (resolution_codes())", named_list(ticket, "codes"),
         pointer(ts, "definitions/expectation/properties/resolution/properties/code")["enum"],
         "expect resolution.code")
    units = re.findall(r'\{"(\w+)",', re.search(r"kUnits\[\]\s*=\s*\{(.*?)\};",
                                                 read("src/core/duration.cpp"), re.S).group(1))
    unit_alt = re.search(r"\(([a-z|]+)\)\)\+\$$", rs["definitions"]["duration"]["pattern"])
    same("duration units (duration.cpp kUnits)", units,
         unit_alt.group(1).split("|") if unit_alt else [], "definitions/duration pattern")
    print("keys: compared")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--ticketctl", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("checks", nargs="*", default=["good", "bad", "keys"])
    args = ap.parse_args()
    try:
        import jsonschema
    except ImportError:
        print("rule_schema: python3-jsonschema is not installed; skipped", file=sys.stderr)
        return 77
    if yaml is None:
        print("rule_schema: python3-yaml is not installed", file=sys.stderr)
        return 1
    schemas, validators = {}, {}
    for kind, path in (("rules", RULES_SCHEMA), ("tests", TESTS_SCHEMA)):
        with open(os.path.join(args.source, path), encoding="utf-8") as f:
            schemas[kind] = json.load(f)
        jsonschema.Draft7Validator.check_schema(schemas[kind])
        validators[kind] = jsonschema.Draft7Validator(schemas[kind])
    args.validators = validators
    report = Report()
    for check in args.checks:
        if check == "good":
            check_good(args, validators, report)
        elif check == "bad":
            check_bad(args, validators, report)
        elif check == "keys":
            check_keys(args, schemas, report)
        else:
            print(f"rule_schema: unknown check {check}", file=sys.stderr)
            return 2
    if report.problems:
        print(f"{report.problems} problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
