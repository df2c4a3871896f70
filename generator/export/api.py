"""api/v1/: the knowledge base as JSON documents (see README, "Data for machines").

- `api/v1/<plural>/<id>.json`  one record: its values, every claim of its key facts with the
                               claim's rank and citations, the records it refers to (resolved)
- `api/v1/<plural>.json`       the records of one kind: id, name, page and document
- `api/v1/all.json`            every record's document, in one file
- `api/v1/index.json`          the version, the endpoints and the counts

URLs in the documents (`page`, `json`) are relative to the site's root (no site address is
configured, so none is invented): `organizations/huawei/`, `api/v1/organizations/huawei.json`.

A record's `values` are its data as the site shows it: each key fact (a field marked `claim`)
as the value shown (the preferred claim's, else the first normal one's; null when every claim
is deprecated), dates as the text written. `claims` gives every claim of each key fact, by
JSON Pointer into `values` (`/country`, `/positions/0/title`): value, rank, reason, and the
claim's own citations, or null for a value written bare, which rests on the record's
`citations`.
"""

from __future__ import annotations

import json
from typing import Any

from ..load import FieldPath
from ..model import Claim, KnowledgeBase, Record
from ..schema import FieldSpec, KindSchema
from ..validate import citations_in

API_VERSION = "v1"
API_ROOT = f"api/{API_VERSION}"


def record_json_path(record: Record) -> str:
    """The record's document, from the site's root."""
    return f"{API_ROOT}/{record.schema.plural}/{record.id}.json"


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 as itself: what every API file is made of (C encoder: no indent)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def spec_at(schema: KindSchema, path: FieldPath) -> FieldSpec | None:
    """The spec of the value at `path` in a record of this kind (list indexes step into items)."""
    fields: dict[str, FieldSpec] = schema.fields
    spec: FieldSpec | None = None
    for step in path:
        if isinstance(step, int):
            if spec is None or spec.items is None:
                return None
            spec = spec.items
        else:
            spec = fields.get(step)
            if spec is None:
                return None
        fields = spec.fields
    return spec


def plain(spec: FieldSpec | None, value: Any) -> Any:
    """A value as JSON, in the schema's field order; dates as the text written ('2017')."""
    if value is None or spec is None:
        return value
    kind = spec.type
    if kind == "date":
        return str(value)
    if kind == "list" and isinstance(value, list):
        return [plain(spec.items, item) for item in value]
    if kind == "object" and isinstance(value, dict):
        return mapping(spec.fields, value)
    return value


def mapping(fields: dict[str, FieldSpec], data: dict) -> dict:
    return {name: plain(spec, data[name]) for name, spec in fields.items() if name in data}


def pointer(path: FieldPath) -> str:
    """A field path as a JSON Pointer (RFC 6901): ('positions', 0, 'title') ->
    '/positions/0/title'."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def claim_json(spec: FieldSpec | None, claim: Claim) -> dict:
    out: dict[str, Any] = {"value": plain(spec, claim.value), "rank": claim.rank}
    if claim.reason is not None:
        out["reason"] = claim.reason
    citations = None
    if claim.citations is not None:
        citations_spec = spec.claim_fields.get("citations") if spec else None
        citations = plain(citations_spec, claim.citations)
    out["citations"] = citations
    return out


def reference_json(record: Record) -> dict:
    return {
        "id": record.id,
        "kind": record.kind,
        "name": record.label,
        "page": record.url,
        "json": record_json_path(record),
    }


def citation_count(data: Any) -> int:
    """Citations anywhere in the record's data (the record's, its claims', its status steps')."""
    return sum(1 for _ in citations_in(data))


def record_json(kb: KnowledgeBase, record: Record) -> dict:
    """One record's document."""
    schema = record.schema
    claims = {}
    for path, found in record.claims.items():
        spec = spec_at(schema, path)
        claims[pointer(path)] = [claim_json(spec, claim) for claim in found]
    targets = {reference.target for reference in record.references}
    references = sorted(
        (kb.records[target] for target in targets if target in kb.records),
        key=lambda other: (other.kind, other.sort_key),
    )
    return {
        **reference_json(record),
        "fact_file": record.fact_path,
        "values": mapping(schema.fields, record.values),
        "claims": claims,
        "citation_count": citation_count(record.data),
        "references": [reference_json(other) for other in references],
    }


def kinds_in_order(kb: KnowledgeBase) -> list[KindSchema]:
    """The kinds, alphabetically (the schemas' order): the order of every list and count."""
    return [kb.schemas.kinds[kind] for kind in sorted(kb.schemas.kinds)]


def api_files(kb: KnowledgeBase) -> dict[str, bytes]:
    """Every JSON document of api/v1/ but the schema (api_schema.py)."""
    files: dict[str, bytes] = {}
    documents: list[str] = []
    counts: dict[str, int] = {}
    kinds: dict[str, dict] = {}
    for schema in kinds_in_order(kb):
        records = kb.by_kind.get(schema.kind, [])
        counts[schema.plural] = len(records)
        listed = []
        for record in records:
            document = dumps(record_json(kb, record))
            files[record_json_path(record)] = (document + "\n").encode("utf-8")
            documents.append(document)
            # A reference without its kind, which the list says once.
            listed.append({k: v for k, v in reference_json(record).items() if k != "kind"})
        kind_list = {
            "api_version": API_VERSION,
            "kind": schema.kind,
            "count": len(records),
            "records": listed,
        }
        files[f"{API_ROOT}/{schema.plural}.json"] = (dumps(kind_list) + "\n").encode("utf-8")
        kinds[schema.plural] = {
            "kind": schema.kind,
            "title": schema.title,
            "count": len(records),
            "list": f"{API_ROOT}/{schema.plural}.json",
            "csv": f"{API_ROOT}/{schema.plural}.csv",
            "record": f"{API_ROOT}/{schema.plural}/{{id}}.json",
        }
    # Joined from the documents already encoded: all.json costs no second encoding.
    head = dumps({"api_version": API_VERSION, "counts": counts})[:-1]
    files[f"{API_ROOT}/all.json"] = f'{head},"records":[{",".join(documents)}]}}\n'.encode()
    index = {
        "api_version": API_VERSION,
        "urls": "relative to the site's root",
        "counts": counts,
        "endpoints": {
            "index": f"{API_ROOT}/index.json",
            "all": f"{API_ROOT}/all.json",
            "kinds": kinds,
            "schema": {
                name: f"{API_ROOT}/schema/{name}.schema.json"
                for name in ("index", "list", "record", "all")
            },
            "feed": "feed.xml",
        },
    }
    files[f"{API_ROOT}/index.json"] = (
        json.dumps(index, ensure_ascii=False, indent=2) + "\n"
    ).encode("utf-8")
    return files
