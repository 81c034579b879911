#!/usr/bin/python3
# End-to-end: Debian's python3-kubernetes client (admin kubeconfig) against the real anzen
# binary — list, create, read, patch, replace with a stale resourceVersion (409), watch,
# typed clients for batch/v1 and rbac/v1, errors as ApiException with upstream's Status.
import json, os, random, signal, subprocess, sys, tempfile, threading, time, shutil
import urllib3

urllib3.disable_warnings()
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANZEN = os.environ.get("ANZEN") or os.path.join(ROOT, "build", "anzen")
SEED = os.path.join(ROOT, "tests", "seed")  # the acceptance seed, vendored byte for byte
passed = failed = 0


def check(name, expected, actual):
    global passed, failed
    if expected == actual:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("FAIL - " + name)
        print("  expected: %r" % (expected,))
        print("  actual:   %r" % (actual,))


def start_server(tmp):
    for _ in range(6):
        port = random.randint(20000, 39999)
        log = open(os.path.join(tmp, "server.log"), "a")
        proc = subprocess.Popen([ANZEN, "serve", "--data-dir", os.path.join(tmp, "data"),
                                 "--listen", "127.0.0.1:%d" % port], stdout=log, stderr=log)
        ca = os.path.join(tmp, "data", "pki", "ca.crt")
        for _ in range(150):
            if proc.poll() is not None:
                break
            if os.path.exists(ca):
                r = subprocess.run(["curl", "-s", "--max-time", "2", "--cacert", ca,
                                    "https://127.0.0.1:%d/readyz" % port], capture_output=True)
                if r.stdout == b"ok":
                    return proc
            time.sleep(0.1)
        proc.kill()
        proc.wait()
    raise SystemExit("could not start anzen")


def status_of(e):
    try:
        return json.loads(e.body)
    except Exception:
        return {"unparsable": e.body}


def main():
    tmp = tempfile.mkdtemp(prefix="anzen-e2e-py.")
    proc = start_server(tmp)
    try:
        run(tmp)
    except Exception as e:  # an unexpected exception is a failure, not a crash of the test
        global failed
        failed += 1
        print("FAIL - unexpected exception: %r" % (e,))
    finally:
        alive = proc.poll() is None
        check("server still running at the end", True, alive)
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "timeout"
        if alive:
            check("SIGTERM: clean exit", 0, rc)
        if failed:
            print("# server log tail:")
            for line in open(os.path.join(tmp, "server.log")).read().splitlines()[-10:]:
                print("#   " + line)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def run(tmp):
    config.load_kube_config(config_file=os.path.join(tmp, "data", "admin.kubeconfig"))
    core = client.CoreV1Api()
    names = sorted(n.metadata.name for n in core.list_namespace().items)
    check("list namespaces", ["default", "kube-node-lease", "kube-public", "kube-system"], names)

    ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="pylab")))
    check("create namespace: phase Active", "Active", ns.status.phase)

    cm = core.create_namespaced_config_map("pylab", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="c1", labels={"app": "py"}), data={"k": "v"}))
    check("create configmap: uid set", True, bool(cm.metadata.uid))
    check("create configmap: data", {"k": "v"}, cm.data)
    rv1 = int(cm.metadata.resource_version)

    got = core.read_namespaced_config_map("c1", "pylab")
    check("read configmap", ("c1", {"k": "v"}, cm.metadata.uid), (got.metadata.name, got.data, got.metadata.uid))

    patched = core.patch_namespaced_config_map("c1", "pylab", {"data": {"k2": "v2"}})
    check("patch (the client's default patch type) merges data", {"k": "v", "k2": "v2"}, patched.data)
    check("patch bumps resourceVersion", True, int(patched.metadata.resource_version) > rv1)

    stale = got
    stale.data = {"stale": "yes"}
    try:
        core.replace_namespaced_config_map("c1", "pylab", stale)
        check("replace with a stale resourceVersion raises 409", 409, 200)
    except ApiException as e:
        st = status_of(e)
        check("replace with a stale resourceVersion raises 409", 409, e.status)
        check("409 Status reason/message", ("Conflict",
              'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again'),
              (st.get("reason"), st.get("message")))

    try:
        core.read_namespaced_config_map("nope", "pylab")
        check("read missing raises 404", 404, 200)
    except ApiException as e:
        check("read missing raises 404", 404, e.status)
        check("404 Status", {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": 'configmaps "nope" not found', "reason": "NotFound",
                             "details": {"name": "nope", "kind": "configmaps"}, "code": 404}, status_of(e))

    # label selector through the client
    core.create_namespaced_config_map("pylab", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c2", labels={"app": "other"})))
    sel = [c.metadata.name for c in core.list_namespaced_config_map("pylab", label_selector="app in (py)").items]
    check("list with label_selector", ["c1"], sel)
    page = core.list_namespaced_config_map("pylab", limit=1)
    check("list with limit=1 has one item and a continue token", (1, True), (len(page.items), bool(page.metadata._continue)))
    page2 = core.list_namespaced_config_map("pylab", limit=1, _continue=page.metadata._continue)
    check("continue returns the next item", ["c2"], [c.metadata.name for c in page2.items])

    # watch: events after a resourceVersion. The root-CA publisher (a controller, on its own
    # thread as in kube-controller-manager) adds kube-root-ca.crt to the namespace when it gets
    # there: wait for it, so the watch below sees only the test's own changes.
    for _ in range(300):
        if any(c.metadata.name == "kube-root-ca.crt" for c in core.list_namespaced_config_map("pylab").items):
            break
        time.sleep(0.1)
    start_rv = core.list_namespaced_config_map("pylab").metadata.resource_version
    seen = []

    def watcher():
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_config_map, "pylab", resource_version=start_rv, timeout_seconds=5):
            seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) >= 3:
                w.stop()
    t = threading.Thread(target=watcher)
    t.start()
    time.sleep(1)
    core.create_namespaced_config_map("pylab", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c3")))
    core.patch_namespaced_config_map("c3", "pylab", {"metadata": {"labels": {"x": "y"}}})
    core.delete_namespaced_config_map("c3", "pylab")
    t.join(10)
    check("watch sees ADDED, MODIFIED, DELETED", [("ADDED", "c3"), ("MODIFIED", "c3"), ("DELETED", "c3")], seen)

    # batch/v1: the seed's Job through the typed client
    job = json.load(open(os.path.join(SEED, "job.json")))
    job["metadata"]["namespace"] = "pylab"
    batch = client.BatchV1Api()
    created = batch.create_namespaced_job("pylab", job)
    check("create seed job via BatchV1Api", ("sleep-job", 4, ["sleep", "100"]),
          (created.metadata.name, created.spec.backoff_limit, created.spec.template.spec.containers[0].command))
    check("job defaulting: template restartPolicy kept, completions defaulted", ("Never", 1),
          (created.spec.template.spec.restart_policy, created.spec.completions))

    # rbac/v1
    rbac = client.RbacAuthorizationV1Api()
    role = rbac.create_namespaced_role("pylab", client.V1Role(
        metadata=client.V1ObjectMeta(name="reader"),
        rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])]))
    check("create role via RbacAuthorizationV1Api", ["get", "list"], role.rules[0].verbs)
    rb = rbac.create_namespaced_role_binding("pylab", client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="reader"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="reader"),
        subjects=[client.V1Subject(kind="ServiceAccount", name="default", namespace="pylab")]))
    check("create rolebinding", "reader", rb.role_ref.name)

    # invalid name -> 422 with causes
    try:
        core.create_namespaced_config_map("pylab", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name")))
        check("invalid name raises 422", 422, 201)
    except ApiException as e:
        st = status_of(e)
        check("invalid name raises 422", 422, e.status)
        check("422 reason and cause field", ("Invalid", "metadata.name", "FieldValueInvalid"),
              (st.get("reason"), st.get("details", {}).get("causes", [{}])[0].get("field"),
               st.get("details", {}).get("causes", [{}])[0].get("reason")))

    # dry run
    core.create_namespaced_config_map("pylab", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dry")), dry_run="All")
    try:
        core.read_namespaced_config_map("dry", "pylab")
        check("dry_run=All created nothing", 404, 200)
    except ApiException as e:
        check("dry_run=All created nothing", 404, e.status)

    # namespace deletion: Terminating then gone, with its content
    d = json.loads(core.delete_namespace("pylab", _preload_content=False).data)
    check("delete namespace returns the Namespace, Terminating", ("Namespace", "Terminating"),
          (d.get("kind"), (d.get("status") or {}).get("phase")))
    deadline = time.time() + 20
    gone = False
    while time.time() < deadline:
        try:
            core.read_namespace("pylab")
            time.sleep(0.3)
        except ApiException as e:
            gone = e.status == 404
            break
    check("namespace disappears", True, gone)
    left = [c.metadata.name for c in core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=pylab").items]
    check("its configmaps are gone", [], left)


if __name__ == "__main__":
    main()
