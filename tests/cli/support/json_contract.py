#!/usr/bin/env python3
"""Validates one cbkit --json document against the schemas in schema/json/.

    json_contract.py SCHEMA_DIR FILE [COMMAND]

FILE must hold exactly one JSON object. It is checked against the envelope schema and
against <command>.schema.json, the command taken from the document (and compared with
COMMAND when given). Independent of cbkit: Python's jsonschema (Draft 2020-12) with a
registry of the schema files, so the $ref between them resolve without a network.
Prints "valid <command>" or the validation errors; exit 1 when invalid.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator


def validator_for(schema, schemas):
    """A validator of `schema` that resolves $ref to the other files by their $id."""
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource

        registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
        return Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's jsonschema 4.10
        from jsonschema import RefResolver

        store = {s["$id"]: s for s in schemas.values()}
        return Draft202012Validator(schema, resolver=RefResolver.from_schema(schema, store=store))


def main():
    schema_dir = pathlib.Path(sys.argv[1])
    text = pathlib.Path(sys.argv[2]).read_text(encoding="utf-8")
    want = sys.argv[3] if len(sys.argv) > 3 else None
    dec = json.JSONDecoder()
    try:
        doc, end = dec.raw_decode(text.lstrip())
    except json.JSONDecodeError as e:
        sys.exit(f"not JSON: {e}")
    if text.lstrip()[end:].strip():
        sys.exit("more than one JSON document on stdout")
    if not isinstance(doc, dict):
        sys.exit("the document is not an object")
    schemas = {}
    for p in sorted(schema_dir.glob("*.schema.json")):
        s = json.loads(p.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(s)
        schemas[p.name[: -len(".schema.json")]] = s
    command = doc.get("command")
    if want is not None and command != want:
        sys.exit(f"command is {command!r}, expected {want!r}")
    names = ["envelope"] + ([command] if command in schemas else [])
    if want is not None and want not in schemas:
        sys.exit(f"no schema for command {want!r} in {schema_dir}")
    errors = []
    for name in names:
        v = validator_for(schemas[name], schemas)
        for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(x) for x in e.absolute_path) or "(top)"
            errors.append(f"{name}: {path}: {e.message[:300]}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(f"valid {command}")


main()
