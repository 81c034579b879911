#!/usr/bin/python3
# schema_upstream_compare.py DOC.json... — compares the Go type descriptions anzen serves in
# /openapi/v3 (src/machinery/schema_core.c, through openapi.c) with the models of Debian's
# python3-kubernetes client, which upstream generates from its own OpenAPI definitions (the
# 22.x client: Kubernetes 1.22). For every type both know, every field the client has must be
# in anzen's type with the same JSON name and the same shape: string, integer, boolean,
# number, date-time (metav1.Time), free-form/int-or-string ("object"), list of, map of, or a
# reference to the same Go type. Used by schema_upstream_test.sh.
#
# Prints one line per difference, then "checked TYPES types, FIELDS fields". The only
# differences expected are upstream's own changes since 1.22, listed in RENAMED_SINCE_122.
import json
import re
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import kubernetes.client.models as models  # noqa: E402

# The client names the two Event types (and their parts) by group.
CLASS_NAMES = {
    "io.k8s.api.core.v1.Event": "CoreV1Event",
    "io.k8s.api.core.v1.EventList": "CoreV1EventList",
    "io.k8s.api.core.v1.EventSeries": "CoreV1EventSeries",
    "io.k8s.api.events.v1.Event": "EventsV1Event",
    "io.k8s.api.events.v1.EventList": "EventsV1EventList",
    "io.k8s.api.events.v1.EventSeries": "EventsV1EventSeries",
}
# Referenced types the client models as scalars.
SCALAR_REFS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "str",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "datetime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "datetime",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "object",
}
# Upstream's changes between 1.22 and 1.32 (k8s.io/api): the field's Go type was renamed, or
# the field removed.
RENAMED_SINCE_122 = {
    ("io.k8s.api.core.v1.Lifecycle", "postStart"),        # Handler -> LifecycleHandler (1.23)
    ("io.k8s.api.core.v1.Lifecycle", "preStop"),
    ("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "dataSourceRef"),  # -> TypedObjectReference (1.26)
    ("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "resources"),      # -> VolumeResourceRequirements (1.29)
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "clusterName"),  # removed (1.24)
}


def class_name(schema_name):
    if schema_name in CLASS_NAMES:
        return CLASS_NAMES[schema_name]
    parts = schema_name.split(".")
    return parts[-2][0].upper() + parts[-2][1:] + parts[-1]


def ref_of(prop):
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    all_of = prop.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        return all_of[0]["$ref"].rsplit("/", 1)[-1]
    return None


def same_shape(py_type, prop):
    ref = ref_of(prop)
    if ref in SCALAR_REFS:
        return SCALAR_REFS[ref] == py_type
    if ref is not None:
        return class_name(ref) == py_type
    m = re.fullmatch(r"list\[(.*)\]", py_type)
    if m:
        return prop.get("type") == "array" and same_shape(m.group(1), prop.get("items", {}))
    m = re.fullmatch(r"dict\(str, (.*)\)", py_type)
    if m:
        return (prop.get("type") == "object" and isinstance(prop.get("additionalProperties"), dict)
                and same_shape(m.group(1), prop["additionalProperties"]))
    scalar = {"str": "string", "int": "integer", "bool": "boolean", "float": "number"}
    if py_type in scalar:
        return prop.get("type") == scalar[py_type]
    if py_type == "object":  # free-form (RawExtension, JSON) values
        return "type" not in prop or (prop.get("type") == "object" and "properties" not in prop)
    return False


def main(paths):
    schemas = {}
    for p in paths:
        with open(p) as f:
            schemas.update(json.load(f).get("components", {}).get("schemas", {}))
    ntypes = nfields = 0
    for name in sorted(schemas):
        model = getattr(models, class_name(name), None)
        if model is None:  # newer than the client
            continue
        ntypes += 1
        props = schemas[name].get("properties", {})
        for attr, json_name in sorted(model.attribute_map.items(), key=lambda kv: kv[1]):
            if (name, json_name) in RENAMED_SINCE_122:
                continue
            nfields += 1
            if json_name not in props:
                print("%s.%s: missing" % (name, json_name))
            elif not same_shape(model.openapi_types[attr], props[json_name]):
                print("%s.%s: upstream %s, anzen %s" % (name, json_name, model.openapi_types[attr],
                                                        json.dumps(props[json_name], sort_keys=True)))
    print("checked %d types, %d fields" % (ntypes, nfields))


if __name__ == "__main__":
    main(sys.argv[1:])
