#!/usr/bin/env python3
"""Writes docs/api.md, the API reference for people, from the OpenAPI
document docs/api/openapi.json, so the two never disagree.

    scripts/gen-api-doc.py           rewrite docs/api.md
    scripts/gen-api-doc.py --check   exit 1 if docs/api.md is not what the document gives
                                     (the ctest api_doc_current)

Edit the document, never docs/api.md. Examples come from the document's
`example` values, or are built from the schemas. curl examples are marked
`<!-- example: skip (illustration) -->` for the docs' code-block test; the
```json blocks are plain JSON.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "api", "openapi.json")
OUT = os.path.join(ROOT, "docs", "api.md")
METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"]
SERVER = "http://127.0.0.1:8080"
SKIP = "<!-- example: skip (illustration) -->"


def resolve(doc, node):
    for _ in range(16):
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        ref = node["$ref"]
        at = doc
        for part in ref[2:].split("/"):
            at = at[part.replace("~1", "/").replace("~0", "~")]
        node = at
    return node


def ref_name(node):
    if isinstance(node, dict) and "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    return None


def sample(doc, schema, depth=0):
    """An example value for a schema: its own example, else one built from it."""
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "example" in schema:
        return schema["example"]
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return sample(doc, schema[key][0], depth + 1)
    if "allOf" in schema:
        out = {}
        for part in schema["allOf"]:
            value = sample(doc, part, depth + 1)
            if isinstance(value, dict):
                out.update(value)
        return out
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        out = {}
        for name in props:
            if name in required:
                out[name] = sample(doc, props[name], depth + 1)
        return out
    if kind == "array":
        item = sample(doc, schema.get("items", {}), depth + 1)
        return [] if item is None else [item]
    if kind == "string":
        if schema.get("nullable"):
            return None
        return "2026-11-28T14:37:46Z" if schema.get("format") == "date-time" else "…"
    if kind == "integer":
        return None if schema.get("nullable") else 0
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    return None


def schema_text(doc, schema):
    """A short description of a schema's type for a table."""
    name = ref_name(schema)
    schema = resolve(doc, schema)
    if not isinstance(schema, dict):
        return "any"
    if "enum" in schema:
        return " | ".join(f"`{v}`" for v in schema["enum"])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return schema_text(doc, schema["allOf"][0])
    if "oneOf" in schema:
        return " or ".join(schema_text(doc, s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {schema_text(doc, schema.get('items', {}))}"
    if kind == "object" and schema.get("properties"):
        return "object {" + ", ".join(schema["properties"]) + "}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "object of " + schema_text(doc, schema["additionalProperties"])
    text = name if name and kind not in ("string", "integer", "boolean") else kind
    if kind == "integer" and ("minimum" in schema or "maximum" in schema):
        text += f" {schema.get('minimum', '')}–{schema.get('maximum', '')}"
    if "default" in schema:
        text += f" (default `{schema['default']}`)"
    return text


def cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def json_block(value):
    return ["```json", json.dumps(value, indent=2, ensure_ascii=False), "```"]


def curl(doc, method, path, op, params):
    url = path
    for p in params:
        if p.get("in") == "path":
            example = p.get("example", sample(doc, p.get("schema", {})))
            url = url.replace("{" + p["name"] + "}", str(example))
    args = ["curl -s"]
    queries = [p for p in params if p.get("in") == "query" and "example" in p]
    if method == "head":
        args.append("-I")
    elif queries:
        args.append("-G")
    elif method != "get":
        args.append(f"-X{method.upper()}")
    args.append(SERVER + url)
    lines = [" ".join(args)]
    for p in queries:
        value = f"{p['name']}={p['example']}".replace("'", "'\\''")
        lines.append(f"--data-urlencode '{value}'")
    if op.get("x-ticketd-role", "none") != "none":
        lines.append("-H \"Authorization: Bearer $TICKETD_TOKEN\"")
    body = resolve(doc, op.get("requestBody", {}))
    content = body.get("content", {}).get("application/json") if body else None
    if content is not None and (body.get("required") or "example" in content):
        example = content.get("example", sample(doc, content.get("schema", {})))
        if method == "get":
            lines[0] = lines[0].replace("curl -s", f"curl -s -X{method.upper()}", 1)
        lines.append("-H 'Content-Type: application/json'")
        data = json.dumps(example, ensure_ascii=False, separators=(",", ":")).replace("'", "'\\''")
        lines.append(f"-d '{data}'")
    return [SKIP, "```sh", " \\\n  ".join(lines), "```"]


def operation(doc, path, method, item, op):
    out = []
    title = f"{method.upper()} {path}"
    out.append(f"### `{title}`")
    out.append("")
    out.append(f"**{op.get('summary', '')}.** Role: `{op.get('x-ticketd-role', 'none')}`"
               + (" (no token)." if op.get("x-ticketd-role") == "none" else "."))
    if op.get("x-ticketd-hmac"):
        out[-1] += (f" HMAC signature when `webhooks.{op['x-ticketd-hmac']}` is configured"
                    " (header `X-Signature-256` by default).")
    if op.get("x-ticketd-pending"):
        out.append("")
        out.append("> Being implemented: documented ahead of its route (`x-ticketd-pending`).")
    if op.get("description"):
        out.append("")
        out.append(" ".join(op["description"].split()))
    raw = item.get("parameters", []) + op.get("parameters", [])
    params = [resolve(doc, p) for p in raw]
    if params:
        out += ["", "| parameter | in | type | |", "|---|---|---|---|"]
        for r, p in zip(raw, params):
            required = " (required)" if p.get("required") else ""
            about = p.get("description", "")
            if ref_name(r) == "Signature":
                about = "the body's HMAC-SHA256, when configured (see [Authentication](#authentication))"
            out.append(f"| `{p['name']}` | {p['in']}{required} | "
                       f"{cell(schema_text(doc, p.get('schema', {})))} | {cell(about)} |")
    body = resolve(doc, op.get("requestBody", {}))
    if body:
        for media, content in body.get("content", {}).items():
            name = ref_name(content.get("schema", {}))
            schema = resolve(doc, content.get("schema", {}))
            what = f"`{name}`" if name else (
                " or ".join(f"`{ref_name(s) or s.get('type', 'any')}`" for s in schema["oneOf"])
                if "oneOf" in schema else schema.get("description", "JSON"))
            optional = "" if body.get("required") else " (optional)"
            out += ["", f"Body{optional} ({media}): {what}."]
            fields = schema.get("oneOf", [schema])[0]
            fields = resolve(doc, fields)
            if isinstance(fields, dict) and fields.get("properties"):
                required = set(fields.get("required", []))
                out += ["", "| field | type | |", "|---|---|---|"]
                for name, prop in fields["properties"].items():
                    about = resolve(doc, prop).get("description", "") or prop.get("description", "")
                    mark = " (required)" if name in required else ""
                    out.append(f"| `{name}`{mark} | {cell(schema_text(doc, prop))} | {cell(about)} |")
    out += ["", "Example:", ""] + curl(doc, method, path, op, params)
    responses = op.get("responses", {})
    for code, response in responses.items():
        response = resolve(doc, response)
        content = response.get("content", {}).get("application/json")
        if code.startswith("2") and content is not None:
            if ref_name(content.get("schema", {})) == "Ticket":
                out += ["", f"Answer `{code}`: the ticket (see [Tickets in JSON](#tickets-in-json))."]
                break
            example = content.get("example", sample(doc, content.get("schema", {})))
            if example is not None and example != {}:
                out += ["", f"Answer `{code}`:", ""] + json_block(example)
            break
    out += ["", "Answers: " + "; ".join(
        f"`{code}` {' '.join(resolve(doc, r).get('description', '').split())}"
        for code, r in responses.items()) + "."]
    out.append("")
    return out


def render(doc):
    info = doc["info"]
    out = [
        "# HTTP API reference",
        "",
        "<!-- Generated by scripts/gen-api-doc.py from docs/api/openapi.json: edit the"
        " document and run the script, never this page (ctest api_doc_current checks it). -->",
        "",
        "The machine-readable description is the OpenAPI 3 document"
        " [docs/api/openapi.json](api/openapi.json); a running daemon serves the same"
        " document at `GET /api/v1/openapi.json` (no token needed). Load it into any OpenAPI"
        " tool (Swagger UI, Redoc, a client generator).",
        "",
        " ".join(info["description"].split()),
        "",
        "## Authentication",
        "",
        " ".join(doc["components"]["securitySchemes"]["bearerAuth"]["description"].split()),
        "",
        "Webhook signatures: "
        + " ".join(doc["components"]["parameters"]["Signature"]["description"].split()),
        "",
        "## Errors",
        "",
        "Every error is one JSON shape (`details` only where there are several problems):",
        "",
    ]
    out += json_block({"error": {"code": "not_found", "message": "no ticket INC-000404"}})
    out += ["", "`POST /v2/enqueue` answers in PagerDuty's shape, with ticketd's `error` too:", ""]
    out += json_block(doc["paths"]["/v2/enqueue"]["post"]["responses"]["400"]["content"]
                      ["application/json"]["example"])
    codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    out += ["", "The `code` is " + " ".join(codes["description"].split()) + ".", ""]
    ticket = doc["components"]["schemas"]["Ticket"]
    resolution = doc["components"]["schemas"]["ResolutionCode"]["enum"]
    out += ["## Tickets in JSON", "",
            "Every answer that carries a ticket carries all of its fields (`null` when not set):",
            ""]
    out += json_block(ticket["example"])
    out += ["", "`resolution` is `{\"code\", \"note\"}` once a person resolved the ticket, else"
            " `null`; codes: " + ", ".join(f"`{c}`" for c in resolution) + ".", ""]

    ops = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                ops.append((path, method, item, item[method]))
    out += ["## Operations", "", "| operation | role | |", "|---|---|---|"]
    for path, method, item, op in ops:
        pending = " (being implemented)" if op.get("x-ticketd-pending") else ""
        out.append(f"| `{method.upper()} {path}` | {op.get('x-ticketd-role', 'none')} | "
                   f"{cell(op.get('summary', ''))}{pending} |")
    out.append("")
    for tag in doc.get("tags", []):
        out += [f"## {tag['name'].capitalize()}", "", " ".join(tag["description"].split()), ""]
        for path, method, item, op in ops:
            if tag["name"] in op.get("tags", []):
                out += operation(doc, path, method, item, op)
    return "\n".join(out).rstrip("\n") + "\n"


def main():
    with open(DOC, encoding="utf-8") as f:
        doc = json.load(f)
    text = render(doc)
    if sys.argv[1:] == ["--check"]:
        try:
            with open(OUT, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = ""
        if current != text:
            print("docs/api.md is not what docs/api/openapi.json gives: run scripts/gen-api-doc.py",
                  file=sys.stderr)
            return 1
        print("docs/api.md: up to date")
        return 0
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
