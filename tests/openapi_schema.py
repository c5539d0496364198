#!/usr/bin/env python3
"""Validates an OpenAPI 3.0 document against the official OpenAPI 3.0 JSON
schema that Debian's openapi-specification package ships, with
python3-jsonschema. Prints each problem with its place in the document and
exits 1 if there is one; exits 77 (ctest: skipped) when either package is
missing (scripts/install-deps.sh installs both).

    tests/openapi_schema.py docs/api/openapi.json
"""
import json
import sys

SCHEMA = "/usr/share/openapi-specification/schemas/v3.0/schema.json"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: openapi_schema.py DOCUMENT.json", file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        print("openapi_schema: python3-jsonschema is not installed; skipped", file=sys.stderr)
        return 77
    try:
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
    except OSError:
        print(f"openapi_schema: {SCHEMA} not found (Debian: openapi-specification); skipped",
              file=sys.stderr)
        return 77
    path = sys.argv[1]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print(f"{path}: {where}: {e.message[:400]}")
    if errors:
        print(f"{path}: {len(errors)} problems against the OpenAPI 3.0 schema")
        return 1
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    operations = sum(len(methods & item.keys()) for item in doc["paths"].values())
    print(f"{path}: valid OpenAPI {doc.get('openapi')}, {operations} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
