"""Model versions on disk: loading and verifying them, and which one is active.

A version is a directory ``<root>/<version>/`` with ``model.skops`` (the fitted pipeline,
training side), ``serving.npz`` (the serving form a worker runs) and ``manifest.json``;
``<root>/ACTIVE`` names the version in use. ``load_model`` is the only way a worker loads
one: the files' SHA-256 must match the manifest, the manifest's own content (thresholds,
labels, everything) must match the SHA-256 it carries, and the library versions must match
the ones it was trained with. A version name is a plain name, and nothing a version reads
may lead outside the versions directory (``ACTIVE`` naming ``../x``, or a symlink).
Writing a version (and reading its pipeline back) is the training side's:
``train.pipeline.saving``.
"""
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from importlib.metadata import version as installed_version

import numpy

from .normalise import NORMALISE_VERSION
from .serving_form import ServingForm

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "model_artifacts"
MODEL_FILE, MANIFEST_FILE, ACTIVE_FILE = "model.skops", "manifest.json", "ACTIVE"
SERVING_FILE = "serving.npz"
HISTORY_FILE = "history.jsonl"
#: The manifest field holding the SHA-256 of the manifest's other content.
MANIFEST_HASH = "manifest_sha256"
#: A version name: what ``ACTIVE``, ``history.jsonl``, the command line and the API may
#: name. No '/', so it cannot climb out of the versions directory; no leading '.', so
#: it is never a half-written ``.tmp-*`` directory or ``..``.
VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class ModelLoadError(Exception):
    """A model version is missing, damaged, untrusted or built with other libraries."""


def library_versions():
    """The versions that must match between training and loading."""
    # read from package metadata: importing scikit-learn and skops would cost the service
    # about three seconds of start-up it does not otherwise need
    return {name: installed_version(name) for name in ("scikit-learn", "numpy", "scipy",
                                                        "skops")}


@dataclass
class LoadedModel:
    """A model ready for ``predict``: its serving form, label order, thresholds, manifest."""

    serving_form: ServingForm
    label_ids: list
    thresholds: dict
    manifest: dict

    @property
    def version(self):
        """The version id this model was saved under."""
        return self.manifest["version"]


def file_sha256(path):
    """The SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_digest(manifest):
    """The SHA-256 of a manifest's content without its own hash field, over canonical
    JSON (sorted keys, no spaces), so only a change of content changes it, not layout."""
    content = {k: v for k, v in manifest.items() if k != MANIFEST_HASH}
    # ASCII with escapes: any string JSON can hold encodes, lone surrogates included
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def seal_manifest(manifest):
    """The manifest with its hash field set. It is hashed as it will read back from JSON
    (tuples become lists, keys strings), so a saved manifest verifies."""
    content = {k: v for k, v in manifest.items() if k != MANIFEST_HASH}
    content = json.loads(json.dumps(content))
    return dict(content, **{MANIFEST_HASH: manifest_digest(content)})


def check_manifest(manifest, where):
    """Refuse a manifest whose content does not match the hash it carries."""
    if not isinstance(manifest, dict):
        raise ModelLoadError(f"manifest {where} is not a JSON object; the version is damaged")
    if MANIFEST_HASH not in manifest:
        raise ModelLoadError(f"manifest {where} carries no {MANIFEST_HASH}, so its "
                             "thresholds and labels cannot be checked; retrain, or if it was "
                             "written before manifests were hashed and you trust it, run "
                             "`python -m train seal VERSION`")
    if manifest_digest(manifest) != manifest[MANIFEST_HASH]:
        raise ModelLoadError(f"manifest {where} does not match the SHA-256 it carries; it "
                             "was edited after training (thresholds, labels or another "
                             "field); retrain or activate another version")


def check_version_name(version):
    """Refuse anything but a plain version name (see ``VERSION_NAME``)."""
    if not isinstance(version, str) or not VERSION_NAME.fullmatch(version) \
            or ".." in version:
        raise ModelLoadError(f"{version!r:.80} is not a version name (letters, digits, "
                             "'.', '_' and '-', not starting with '.', no '..'); refused")


def _inside(path, root_real):
    """Whether ``path``, symlinks followed, lies inside the directory ``root_real``."""
    real = Path(os.path.realpath(path))
    return real != root_real and real.is_relative_to(root_real)


def version_dir(version, root=DEFAULT_ROOT):
    """The directory of ``version`` under ``root``, refused unless the name is plain and
    the directory and every symlink in it resolve inside ``root`` (a version or a file
    linked to elsewhere would let whoever controls that place choose what is served)."""
    check_version_name(version)
    root_real = Path(os.path.realpath(root))
    path = Path(root) / version
    if not _inside(path, root_real):
        raise ModelLoadError(f"model version {path} leads outside {root_real} "
                             "(a symlink); refused")
    if path.is_dir():
        for entry in path.iterdir():
            if entry.is_symlink() and not _inside(entry, root_real):
                raise ModelLoadError(f"{entry} is a symlink leading outside {root_real}; "
                                     "refused")
    return path


def copy_version(version, root, new_version, new_root=None, threshold=None):
    """A copy of ``version`` named ``new_version`` (under ``new_root``, default ``root``):
    model files hard-linked, the manifest renamed and sealed again; ``threshold``
    replaces every label's threshold, so the copy answers differently. For load tests
    and hot-swap checks that need two versions of one model."""
    new_root = Path(new_root or root)
    check_version_name(new_version)
    source = version_dir(version, root)
    target = new_root / new_version
    shutil.copytree(source, target, copy_function=os.link)
    manifest = read_manifest(version, root, check=True)
    manifest["version"] = new_version
    if threshold is not None:
        manifest["thresholds"] = dict.fromkeys(manifest["thresholds"], threshold)
    (target / MANIFEST_FILE).unlink()     # the hard link is shared; write a file of its own
    (target / MANIFEST_FILE).write_text(json.dumps(seal_manifest(manifest)), encoding="utf-8")
    return target


def set_active(version, root=DEFAULT_ROOT, reason="", confirm=None):
    """Point ``ACTIVE`` at ``version`` with an atomic replace, and append the change to
    ``history.jsonl`` (the record a service falls back along if a version goes bad).
    Returns True, or False when ``confirm()`` (called with the lock held, just before the
    switch) says no. Only the name and place are checked here; callers verify the
    version's files first (``verify_version`` or ``load_model``).

    Activations are serialised with a lock on the versions directory, so a promotion and
    an activation at the same moment both complete, one after the other.
    """
    root = Path(root)
    if not (version_dir(version, root) / MANIFEST_FILE).is_file():
        raise ModelLoadError(f"no complete model version '{version}' in {root}")
    lock = os.open(root / ".activate.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if confirm is not None and not confirm():
            return False
        handle, staging = tempfile.mkstemp(prefix=f".{ACTIVE_FILE}.", dir=root)
        with os.fdopen(handle, "w", encoding="utf-8") as pointer:
            pointer.write(version + "\n")
            pointer.flush()
            os.fsync(pointer.fileno())
        os.chmod(staging, 0o644)
        os.replace(staging, root / ACTIVE_FILE)
        entry = {"version": version, "reason": reason,
                 "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with open(root / HISTORY_FILE, "a", encoding="utf-8") as history:
            history.write(json.dumps(entry) + "\n")
    finally:
        os.close(lock)
    return True


def activation_history(root=DEFAULT_ROOT):
    """Versions that have been active, most recent first (repeats removed)."""
    path = Path(root) / HISTORY_FILE
    if not path.is_file():
        return []
    versions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            versions.append(json.loads(line)["version"])
        except (ValueError, KeyError, TypeError):
            continue   # a line cut short by a crash
    return list(dict.fromkeys(reversed(versions)))


def activated_at(version, root=DEFAULT_ROOT):
    """When ``version`` last became active (a POSIX timestamp, from ``history.jsonl``),
    or None if the history does not say."""
    path = Path(root) / HISTORY_FILE
    if not path.is_file():
        return None
    when = None
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            if entry["version"] == version:
                when = datetime.fromisoformat(entry["at"]).timestamp()
        except (ValueError, KeyError, TypeError):
            continue   # a line cut short by a crash, or written before times were kept
    return when


def incomplete_versions(root=DEFAULT_ROOT):
    """Half-written version directories (a crash while saving); never loaded."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith(".tmp-"))


#: Longest ``ACTIVE`` read: a version name is far shorter; more is not a pointer.
_MAX_POINTER_BYTES = 256


def active_version(root=DEFAULT_ROOT):
    """The version ``ACTIVE`` names, or None when no model has been built yet. A pointer
    that is a symlink (whoever controls its target would choose what is served, and its
    content would be shown to anyone), too long, or not a plain version name is refused
    with ModelLoadError; ``set_active`` only ever writes a plain file."""
    pointer = Path(root) / ACTIVE_FILE
    if pointer.is_symlink():
        raise ModelLoadError(f"{pointer} is a symlink; it must be a plain file (activate "
                             "a version with `python -m train activate VERSION`); refused")
    try:
        with open(pointer, "rb") as handle:
            raw = handle.read(_MAX_POINTER_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ModelLoadError(f"cannot read {pointer}: {exc.strerror or exc}") from None
    if len(raw) > _MAX_POINTER_BYTES:
        raise ModelLoadError(f"{pointer} is longer than any version name; refused")
    version = raw.decode("utf-8", errors="replace").strip()
    try:
        check_version_name(version)
    except ModelLoadError as exc:
        raise ModelLoadError(f"{pointer}: {exc}; activate a version with "
                             "`python -m train activate VERSION`") from None
    return version


def list_versions(root=DEFAULT_ROOT):
    """Complete version ids, oldest first (ids sort by creation time)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).is_file())


def read_manifest(version, root=DEFAULT_ROOT, check=False):
    """A version's manifest as a dict; with ``check``, refused unless its content matches
    its hash (``check_manifest``)."""
    directory = version_dir(version, root)
    if not directory.is_dir():
        known = list_versions(root)
        shown = ", ".join(known[-10:]) if known else "none"
        raise ModelLoadError(f"there is no model version '{version}' in {root}; known "
                             f"versions{' (newest 10)' if len(known) > 10 else ''}: {shown}")
    path = directory / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read manifest {path}: {exc}; the version is damaged, "
                             "activate another one or retrain") from exc
    if check:
        check_manifest(manifest, path)
    return manifest


def _model_file(directory, manifest, name_field, default=None):
    """A model file the manifest names: a plain file name inside the version directory."""
    name = manifest.get(name_field, default)
    if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
        raise ModelLoadError(f"manifest of {directory} names {name!r} as {name_field}, not "
                             "a file name; refused")
    return directory / name


def verify_version(version, root=DEFAULT_ROOT):
    """Check a version without loading it: name and place, manifest readable and matching
    its own hash, model files present and matching their SHA-256, libraries as installed.
    Returns ``(manifest, model path)``."""
    directory = version_dir(version, root)
    manifest = read_manifest(version, root, check=True)
    return manifest, _verify_files(version, directory, manifest)


def _verify_files(version, directory, manifest):
    """Check the model files and libraries a manifest names; returns the model path."""
    path = _model_file(directory, manifest, "model_file", MODEL_FILE)
    files = [(path, manifest.get("model_sha256"))]
    if manifest.get("serving_file"):
        files.append((_model_file(directory, manifest, "serving_file"),
                      manifest.get("serving_sha256")))
    for file, digest in files:
        if not file.is_file():
            raise ModelLoadError(f"model file {file} is missing")
        if file_sha256(file) != digest:
            raise ModelLoadError(f"model file {file} does not match the SHA-256 in its "
                                 "manifest; it was changed or truncated after training")
    wanted, have = manifest.get("libraries", {}), library_versions()
    mismatched = {k: (v, have.get(k)) for k, v in wanted.items() if have.get(k) != v}
    if mismatched:
        detail = ", ".join(f"{k} {v[0]} (installed: {v[1]})" for k, v in mismatched.items())
        raise ModelLoadError(f"model {version} was built with {detail}; install the pinned "
                             "requirements or retrain")
    return path


def seal_version(version, root=DEFAULT_ROOT):
    """Give a manifest written before manifests were hashed its hash, once its model files
    have been checked against it; refuses one that already carries a hash. Returns the
    manifest's SHA-256. The operator vouches for the manifest's content by doing this."""
    directory = version_dir(version, root)
    manifest = read_manifest(version, root)
    if not isinstance(manifest, dict) or MANIFEST_HASH in manifest:
        check_manifest(manifest, directory / MANIFEST_FILE)
        raise ModelLoadError(f"manifest of {version} is already sealed; nothing to do")
    _verify_files(version, directory, manifest)
    sealed = seal_manifest(manifest)
    staging = directory / f".{MANIFEST_FILE}.tmp"
    staging.write_text(json.dumps(sealed, indent=1), encoding="utf-8")
    os.replace(staging, directory / MANIFEST_FILE)
    return sealed[MANIFEST_HASH]


def load_model(version=None, root=DEFAULT_ROOT):
    """The only way to load a model: checks name and place, the manifest's and the files'
    hashes, library versions, and the text normalisation it was trained with."""
    if not version:
        version = active_version(root)
        if version is None:
            raise ModelLoadError(f"no active model in {root}; build one with "
                                 "`python -m train`")
    manifest, path = verify_version(version, root)
    _check_servable(manifest)
    try:
        with numpy.load(path.parent / manifest["serving_file"], allow_pickle=False) as npz:
            serving_form = ServingForm({name: npz[name] for name in npz.files})
    except Exception as exc:  # hashed above, so only a bug or a disk error gets here
        raise ModelLoadError(f"{manifest['serving_file']} of {manifest['version']} cannot "
                             f"be read: {exc}") from exc
    return LoadedModel(serving_form, list(manifest["labels"]), manifest["thresholds"],
                       manifest)


def _check_servable(manifest):
    """Refuse a manifest whose version cannot be served by this casus."""
    version = manifest.get("version")
    if not manifest.get("serving_file"):
        # models are built, never committed: one saved before serving.npz is rebuilt
        raise ModelLoadError(f"model {version} was saved before {SERVING_FILE} existed and "
                             "cannot be served; build a new version with `python -m train`")
    if manifest.get("normalise_version") != NORMALISE_VERSION:
        # its features were learnt from text normalised another way: it would score
        # tokenised or entity-laden text differently from what it was measured on
        raise ModelLoadError(f"model {version} was trained with text normalisation version "
                             f"{manifest.get('normalise_version', 1)}; this casus uses "
                             f"{NORMALISE_VERSION}; build a new version with `python -m train`")


def serving_payload(version=None, root=DEFAULT_ROOT):
    """``(manifest, serving file bytes)`` of a version, checked as ``load_model`` checks
    it: what a machine without the model directory needs to serve it (a cluster worker
    gets these 14 MB instead of the 95 MB version directory)."""
    model = load_model(version, root)
    directory = version_dir(model.version, root)
    return model.manifest, (directory / model.manifest["serving_file"]).read_bytes()


def model_from_payload(manifest, data):
    """A model from ``serving_payload``'s parts, refused unless the manifest's hash and
    the serving file's SHA-256 match and the version is servable here."""
    check_manifest(manifest, f"manifest of {manifest.get('version')!r:.80}")
    _check_servable(manifest)
    if hashlib.sha256(data).hexdigest() != manifest.get("serving_sha256"):
        raise ModelLoadError(f"the serving file sent for {manifest.get('version')} does not "
                             "match the SHA-256 in its manifest")
    with numpy.load(io.BytesIO(data), allow_pickle=False) as npz:
        serving_form = ServingForm({name: npz[name] for name in npz.files})
    return LoadedModel(serving_form, list(manifest["labels"]), manifest["thresholds"],
                       manifest)