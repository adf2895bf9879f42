"""A small `kustomize build` for the subset of kustomize that deploy/ uses, so the packaging tests
can check what each overlay yields without a kustomize binary or a cluster.

Modelled: `resources` (files and directories), `components`, `namespace`, `images` (newName,
newTag), `patches` with `path` or inline `patch`, either a strategic merge patch (maps merge, a
null deletes a key, lists of objects merge by their Kubernetes merge key, `$patch: delete` on a
list item or on the whole object) or a JSON 6902 list (add/replace/remove) with a `target`.
Anything else in a kustomization is an error naming the file and the key: a kustomization using
a feature this model does not know fails the tests instead of being checked half. Stricter than
kustomize on purpose: a `$patch: delete` of a list item the base lacks is an error (kustomize
ignores it), so a renamed volume or mount cannot leave a patch silently doing nothing.
"""
import copy
import os

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KNOWN_KEYS = {"apiVersion", "kind", "resources", "components", "namespace", "images", "patches"}
# Kubernetes' patchMergeKey for the lists deploy/ patches; other lists are replaced whole.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
    "volumeMounts": "mountPath", "ports": "containerPort", "imagePullSecrets": "name",
}
# Cluster-scoped kinds: `namespace:` leaves them alone.
CLUSTER_SCOPED = {"Namespace", "SecurityContextConstraints", "ClusterRole", "ClusterRoleBinding",
                  "PriorityClass", "CustomResourceDefinition"}


class KustomizeError(Exception):
    pass


def kustomization_file(directory):
    for name in KUSTOMIZATION_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise KustomizeError(f"{directory}: no kustomization.yaml")


def load_yaml_docs(path):
    if not os.path.isfile(path):
        raise KustomizeError(f"{path}: referenced but does not exist")
    with open(path) as f:
        try:
            return [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            raise KustomizeError(f"{path}: not valid YAML: {e}")


def read_kustomization(directory, expect_kind):
    path = kustomization_file(directory)
    docs = load_yaml_docs(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise KustomizeError(f"{path}: must hold one mapping")
    k = docs[0]
    unknown = set(k) - KNOWN_KEYS
    if unknown:
        raise KustomizeError(f"{path}: keys {sorted(unknown)} are not modelled by kustomize_build.py")
    api = {"Kustomization": "kustomize.config.k8s.io/v1beta1",
           "Component": "kustomize.config.k8s.io/v1alpha1"}[expect_kind]
    if k.get("kind") != expect_kind or k.get("apiVersion") != api:
        raise KustomizeError(f"{path}: expected kind {expect_kind}, apiVersion {api}; got "
                             f"{k.get('kind')}, {k.get('apiVersion')}")
    for key in ("resources", "components", "patches", "images"):
        if key in k and not isinstance(k[key], list):
            raise KustomizeError(f"{path}: {key} must be a list")
    return path, k


def ident(doc):
    return (doc.get("kind"), doc.get("metadata", {}).get("name"))


def build(directory, extra_components=(), _kind="Kustomization"):
    """The objects `kustomize build DIRECTORY` prints, in order (extra_components are added as if
    listed under the kustomization's `components`)."""
    directory = os.path.abspath(directory)
    path, k = read_kustomization(directory, _kind)
    objects = []
    for res in k.get("resources", []):
        target = os.path.normpath(os.path.join(directory, res))
        if os.path.isdir(target):
            objects += build(target)
        else:
            for doc in load_yaml_docs(target):
                if not isinstance(doc, dict) or "kind" not in doc or not doc.get("metadata", {}).get("name"):
                    raise KustomizeError(f"{target}: a resource needs kind and metadata.name")
                objects.append(doc)
    seen = set()
    for o in objects:
        if ident(o) in seen:
            raise KustomizeError(f"{path}: {ident(o)} is defined twice")
        seen.add(ident(o))
    if _kind == "Component":
        extra = set(k) - {"apiVersion", "kind", "resources", "patches"}
        if extra:
            raise KustomizeError(f"{path}: keys {sorted(extra)} in a Component are not modelled")
        return objects  # its patches apply to the including kustomization's objects
    for comp in list(k.get("components", [])) + list(extra_components):
        comp_dir = os.path.normpath(os.path.join(directory, comp))
        objects = apply_component(comp_dir, objects)
    return transform(directory, path, k, objects)


def apply_component(comp_dir, objects):
    comp_objects = build(comp_dir, _kind="Component")  # its own resources
    _, k = read_kustomization(comp_dir, "Component")
    merged = copy.deepcopy(objects)
    names = {ident(o) for o in merged}
    for o in comp_objects:
        if ident(o) in names:
            raise KustomizeError(f"{comp_dir}: {ident(o)} is already defined")
    # Resources first, then the component's patches over everything (kustomize's order).
    own = [o for o in comp_objects if ident(o) not in names]
    return transform(comp_dir, kustomization_file(comp_dir), {"patches": k.get("patches", [])},
                     merged + own, patches_only=True)


def transform(directory, path, k, objects, patches_only=False):
    objects = copy.deepcopy(objects)
    for i, p in enumerate(k.get("patches", [])):
        where = f"{path}: patches[{i}]"
        if not isinstance(p, dict) or ("path" in p) == ("patch" in p):
            raise KustomizeError(f"{where}: needs exactly one of path, patch")
        unknown = set(p) - {"path", "patch", "target"}
        if unknown:
            raise KustomizeError(f"{where}: keys {sorted(unknown)} are not modelled")
        if "path" in p:
            docs = load_yaml_docs(os.path.join(directory, p["path"]))
            where = f"{where} ({p['path']})"
        else:
            docs = [d for d in yaml.safe_load_all(p["patch"]) if d is not None]
        if len(docs) == 1 and isinstance(docs[0], list):
            objects = json6902(where, docs[0], p.get("target"), objects)
        else:
            for doc in docs:
                objects = strategic_merge(where, doc, p.get("target"), objects)
    if patches_only:
        return objects
    ns = k.get("namespace")
    if ns:
        for o in objects:
            if o["kind"] == "Namespace":
                # kustomize renames Namespace objects to it (kubernetes-sigs/kustomize#4979)
                o["metadata"]["name"] = ns
            elif o["kind"] not in CLUSTER_SCOPED:
                o.setdefault("metadata", {})["namespace"] = ns
    for img in k.get("images", []):
        if "name" not in img or not ({"newTag", "newName"} & set(img)):
            raise KustomizeError(f"{path}: an images entry needs name and newTag or newName")
        used = 0
        for o in objects:
            for c in all_containers(o):
                name, tag = split_image(c.get("image", ""))
                if name == img["name"]:
                    c["image"] = img.get("newName", name) + ":" + img.get("newTag", tag or "latest")
                    used += 1
        if not used:
            raise KustomizeError(f"{path}: images entry {img['name']} matches no container")
    return objects


def split_image(image):
    if "@" in image:
        return image.split("@", 1)[0], None
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:]
    return image, None


def all_containers(o):
    spec = o.get("spec", {})
    if o.get("kind") != "Pod":
        spec = spec.get("template", {}).get("spec", {})
    return spec.get("containers", []) + spec.get("initContainers", [])


def matches(target, o):
    if not target:
        return False
    api = o.get("apiVersion", "")
    group, _, version = api.rpartition("/")
    checks = {"kind": o.get("kind"), "name": o.get("metadata", {}).get("name"),
              "group": group, "version": version,
              "namespace": o.get("metadata", {}).get("namespace")}
    for key, want in target.items():
        if key not in checks:
            raise KustomizeError(f"target selector {key} is not modelled")
        if checks[key] != want:
            return False
    return True


def strategic_merge(where, patch, target, objects):
    if not isinstance(patch, dict):
        raise KustomizeError(f"{where}: a strategic merge patch is a mapping")
    key = ident(patch)
    selected = [o for o in objects if (matches(target, o) if target else ident(o) == key)]
    if not selected:
        raise KustomizeError(f"{where}: patch target {target or key} matches no object")
    if patch.get("$patch") == "delete":
        gone = {id(o) for o in selected}
        return [o for o in objects if id(o) not in gone]
    out = []
    for o in objects:
        if any(o is s for s in selected):
            body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
            body["metadata"] = {k: v for k, v in patch.get("metadata", {}).items() if k != "name"}
            o = merge(where, o, body, [])
        out.append(o)
    return out


def merge(where, base, patch, path):
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        elif isinstance(v, list) and k in MERGE_KEYS and isinstance(result.get(k), list):
            result[k] = merge_list(where, result[k], v, MERGE_KEYS[k], path + [k])
        elif isinstance(v, list) and k in MERGE_KEYS:
            result[k] = [i for i in copy.deepcopy(v) if i.get("$patch") != "delete"]
        elif isinstance(v, dict) and isinstance(result.get(k), dict):
            result[k] = merge(where, result[k], v, path + [k])
        else:
            result[k] = copy.deepcopy(v)
    return result


def merge_list(where, base, patch, key, path):
    result = copy.deepcopy(base)
    for item in patch:
        if key not in item:
            raise KustomizeError(f"{where}: an item of {'.'.join(path)} has no merge key {key}")
        idx = [i for i, b in enumerate(result) if b.get(key) == item[key]]
        if item.get("$patch") == "delete":
            if not idx:
                raise KustomizeError(f"{where}: deletes {'.'.join(path)} {key}={item[key]}, "
                                     f"which the base does not have")
            result = [b for b in result if b.get(key) != item[key]]
        elif idx:
            result[idx[0]] = merge(where, result[idx[0]], item, path + [str(item[key])])
        else:
            result.append(copy.deepcopy(item))
    return result


def json6902(where, ops, target, objects):
    if not target:
        raise KustomizeError(f"{where}: a JSON 6902 patch needs a target")
    selected = [o for o in objects if matches(target, o)]
    if not selected:
        raise KustomizeError(f"{where}: target {target} matches no object")
    for o in selected:
        for n, op in enumerate(ops):
            apply_op(f"{where} op {n}", o, op)
    return objects


def apply_op(where, doc, op):
    kind, path = op.get("op"), op.get("path", "")
    if kind not in ("add", "replace", "remove") or not path.startswith("/"):
        raise KustomizeError(f"{where}: op {kind} path {path!r} is not modelled")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    node = doc
    for p in parts[:-1]:
        try:
            node = node[int(p)] if isinstance(node, list) else node[p]
        except (KeyError, IndexError, ValueError, TypeError):
            raise KustomizeError(f"{where}: {path}: {p} does not exist in the target")
    last = parts[-1]
    if isinstance(node, list):
        if last == "-" and kind == "add":
            node.append(copy.deepcopy(op["value"]))
            return
        try:
            i = int(last)
        except ValueError:
            raise KustomizeError(f"{where}: {path}: {last} is not a list index")
        if not 0 <= i <= len(node) - (0 if kind == "add" else 1):
            raise KustomizeError(f"{where}: {path}: index {i} out of range")
        if kind == "add":
            node.insert(i, copy.deepcopy(op["value"]))
        elif kind == "replace":
            node[i] = copy.deepcopy(op["value"])
        else:
            del node[i]
    elif isinstance(node, dict):
        if kind in ("replace", "remove") and last not in node:
            raise KustomizeError(f"{where}: {path} does not exist in the target")
        if kind == "remove":
            del node[last]
        else:
            node[last] = copy.deepcopy(op["value"])
    else:
        raise KustomizeError(f"{where}: {path}: the parent is not a map or list")
