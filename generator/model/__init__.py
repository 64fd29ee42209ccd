"""Stage 2, the model: the OpenAPI document to `Api` (`ir.py`), the one structure the
templates render. Schemas become classes, unions and aliases; operations become typed
signatures; spec names become Python names once, here; the auth profile is checked against
the operations.

Hands on `Api` to `render`; templates never see raw OpenAPI.
"""

from generator.model.build import Selection, build_api
from generator.model.ir import Api, ModuleDef, OperationDef, ParamDef, UnionDef
from generator.model.naming import class_name, identifier
from generator.model.profile import check_profile, minimal_scopes, read_profile

__all__ = [
    "Api",
    "ModuleDef",
    "OperationDef",
    "ParamDef",
    "Selection",
    "UnionDef",
    "build_api",
    "check_profile",
    "class_name",
    "identifier",
    "minimal_scopes",
    "read_profile",
]
