#!/usr/bin/env python3
"""Validates an OCDS 1.1.5 release package offline with Debian's python3-jsonschema.

Usage: /usr/bin/python3 scripts/validate_ocds.py SCHEMA_DIR PACKAGE.json
Exit 0 valid, 1 invalid (errors on stdout), 3 the jsonschema module is missing.
"""
import datetime, json, pathlib, re, sys
try:
    import jsonschema
    from jsonschema import Draft4Validator, FormatChecker
except ImportError as e:
    print("python3 jsonschema module missing (apt-get install python3-jsonschema):", e)
    sys.exit(3)
schemas = pathlib.Path(sys.argv[1])
package_schema = json.loads((schemas / "release-package-schema.json").read_text("utf-8"))
release_schema = json.loads((schemas / "release-schema.json").read_text("utf-8"))
package = json.loads(pathlib.Path(sys.argv[2]).read_text("utf-8"))
Draft4Validator.check_schema(package_schema)
Draft4Validator.check_schema(release_schema)
checker = FormatChecker()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
@checker.checks("date-time", raises=ValueError)
def date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True
try:
    from referencing import Registry
    from referencing.jsonschema import DRAFT4
    registry = Registry().with_resource(release_schema["id"], DRAFT4.create_resource(release_schema))
    validator = Draft4Validator(package_schema, registry=registry, format_checker=checker)
except ImportError:
    resolver = jsonschema.RefResolver.from_schema(
        package_schema, store={release_schema["id"]: release_schema})
    validator = Draft4Validator(package_schema, resolver=resolver, format_checker=checker)
errors = sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
for e in errors:
    message = e.message if len(e.message) <= 200 else e.message[:200] + "..."
    print("/" + "/".join(str(p) for p in e.absolute_path) + ": " + message)
sys.exit(1 if errors else 0)
