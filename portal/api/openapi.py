"""The OpenAPI 3.1 document at /api/v1/openapi.json, generated from the pydantic models of portal/api/schemas.py
that validate each operation: nothing in it is written by hand apart from the titles."""
import re

from flask import current_app, jsonify
from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema

from ..inputs import INT32_MAX
from .core import api
from .schemas import Error, Operation

REF = "#/components/schemas/{model}"
PATH_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _without_null(schema: dict) -> dict:
    """An optional query parameter is absent rather than null: drop the null branch pydantic adds."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1 and "anyOf" in schema:
        merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**options[0], **merged}
    return {k: v for k, v in schema.items() if not (k == "default" and v is None)}


def _path_parameters(rule: str, operation: Operation) -> tuple[str, list[dict]]:
    parameters = []
    for converter, name in PATH_PARAMETER.findall(rule):
        if name in operation.path:
            schema = TypeAdapter(operation.path[name]).json_schema(ref_template=REF)
        elif converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": INT32_MAX}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": 200}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return PATH_PARAMETER.sub(r"{\2}", rule), parameters


def _query_parameters(model, definitions: dict) -> list[dict]:
    schema = definitions[model.__name__] if model.__name__ in definitions else model.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operations(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        operation = getattr(view, "_endpoint", None)
        if operation is not None:
            operation.auth = operation.auth or getattr(view, "_api_auth", False)
            yield rule, operation


def _models(app) -> list[tuple]:
    models = {(Error, "serialization")}
    for _rule, operation in _operations(app):
        if operation.query is not None:
            models.add((operation.query, "validation"))
        if operation.body is not None:
            models.add((operation.body, "validation"))
        models.update((model, "serialization") for model in operation.responses.values()
                      if isinstance(model, type))
    return sorted(models, key=lambda pair: (pair[0].__name__, pair[1]))


def _response(model, refs: dict, description: str, media_type: str) -> dict:
    if model is None:
        return {"description": description}
    return {"description": description, "content": {media_type: {"schema": refs[(model, "serialization")]}}}


def build_openapi(app) -> dict:
    models = _models(app)
    refs, top = models_json_schema(models, ref_template=REF)
    definitions = top.get("$defs", {})
    paths: dict = {}
    for rule, operation in _operations(app):
        path, path_parameters = _path_parameters(rule.rule[len("/api/v1"):], operation)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                rule, method, operation, path_parameters, refs, definitions)
    return {
        "openapi": "3.1.0",
        "info": {"title": "wufei API", "version": "1.0.0",
                 "description": "无废城市 platform API. Errors: {\"error\": {\"code\", \"message\", \"fields\"}}: "
                                "400 for a value of the wrong type, 422 for a well-formed value that breaks a rule."},
        "servers": [{"url": app.config["BASE_URL"] + "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": definitions,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


# An over-long request line never reaches the application: the HTTP server in front of it (gunicorn, the proxy,
# the standard library's server in tests) refuses it with a page of its own. Documented so clients expect it.
URI_TOO_LONG = {"description": "URI too long, refused by the HTTP server in front of the application",
                "content": {"text/html": {"schema": {"type": "string"}}}}


def _operation(rule, method: str, operation: Operation, path_parameters: list, refs: dict, definitions: dict):
    parameters = list(path_parameters)
    if operation.query is not None:
        parameters += _query_parameters(operation.query, definitions)
    parameters += operation.headers
    if method == "POST" and operation.auth:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 255}})
    responses = {}
    for status, model in operation.responses.items():
        description = operation.descriptions.get(status, "OK" if status < 300 else "Error")
        responses[str(status)] = _response(model, refs, description, operation.media_type)
        if status in operation.links:
            responses[str(status)]["links"] = operation.links[status]
        if status < 300 and operation.downloads:
            responses[str(status)].setdefault("content", {}).update(
                {media: {"schema": {"type": "string", "format": "binary"}} for media in operation.downloads})
    responses["default"] = _response(Error, refs, "Error", "application/json")
    responses["414"] = URI_TOO_LONG
    document = {"operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
                "summary": operation.summary, "tags": operation.tags, "parameters": parameters,
                "responses": responses}
    if operation.auth:
        document["security"] = [{"bearer": []}]
    if operation.body is not None:
        schema = refs[(operation.body, "validation")]
        content = {"application/json": {"schema": schema}}
        if operation.body_form:
            content["multipart/form-data"] = {"schema": schema}
        document["requestBody"] = {"required": True, "content": content}
    return document


@api.get("/openapi.json")
def openapi_json():
    return jsonify(build_openapi(current_app))
