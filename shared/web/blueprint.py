"""flask-smorest's Blueprint as our API routes use it: `from shared.web.blueprint import Blueprint`.

Four things differ; the first for speed, the others so that a route answers what its OpenAPI
document says:
- an argument schema given as a class is made once, when the route is declared: webargs would
  otherwise make one per request (copying every field, about a tenth of a draft save's time).
  A marshmallow 4 schema keeps no state between loads, so threads share it;
- a JSON body documented as required is required: a request without one is a 400, where
  webargs would read it as `{}` and a route whose fields are all optional would accept it;
- page numbers are bounded (INT_MAX), so that no page's offset overflows the database;
- the X-Pagination header is documented as what it is, a string of JSON, where flask-smorest
  documents an object (which OpenAPI would serialise as "total,3,total_pages,1").
"""
from __future__ import annotations

import functools

import flask_smorest
from flask import request
from marshmallow import fields, validate

from shared.core.fields import INT_MAX
from shared.core.refusal import Refusal

NO_BODY = "Send the request body as JSON: this route needs one."


class Blueprint(flask_smorest.Blueprint):
    def arguments(self, schema, *, location="json", required=True, **kwargs):
        if isinstance(schema, type):
            schema = schema()
        decorate = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return decorate

        def decorator(view):
            parsed = decorate(view)

            # functools.wraps carries flask-smorest's `_apidoc` along, so the document is unchanged.
            @functools.wraps(parsed)
            def wrapper(*args, **kwargs):
                if not request.get_data(cache=True).strip():
                    raise Refusal(400, NO_BODY)
                return parsed(*args, **kwargs)

            return wrapper

        return decorator

    def paginate(self, pager=None, **kwargs):
        decorate = super().paginate(pager, **kwargs)

        def decorator(view):
            wrapper = decorate(view)
            # The schema flask-smorest made for this route both parses the query and documents it:
            # bounding its page field here changes both.
            schema = wrapper._apidoc["pagination"]["parameters"]["schema"]
            page = schema._declared_fields["page"]
            schema._declared_fields["page"] = fields.Integer(
                load_default=page.load_default, validate=validate.Range(min=1, max=INT_MAX)
            )
            return wrapper

        return decorator

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata as JSON: total, total_pages, first_page, last_page, "
            "page, previous_page, next_page",
            "schema": {"type": "string"},
        }
