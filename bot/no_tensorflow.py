"""Run the Rasa server without importing TensorFlow when no configured component needs it.

Why: Rasa 3.6 imports TensorFlow (and, through it, jax) from modules every server loads
(``rasa.core.policies.policy`` → … → ``rasa.utils.tensorflow.callback``), although only its
neural components (DIET, TED, ResponseSelector, …) use it. Our pipeline (config.yml) has none:
scikit-learn's logistic regression, our own Vietnamese components, MemoizationPolicy and
RulePolicy. Importing TensorFlow cost the server ~2.4 s of start-up and ~380 MB of memory
(``make bench``).

How: a meta-path finder answers ``import tensorflow`` (and its companions) with a stand-in whose
every attribute is an inert class, which is all Rasa's module bodies need (base classes, type
hints, decorators). It is installed only by :func:`install`, which first checks that the
configuration names no component from :data:`TENSORFLOW_COMPONENTS` and that TensorFlow is not
already imported; the Rasa server is then started through ``python -m bot.serve`` (scripts/run.sh,
the tests' servers, the Dockerfile). Training (``rasa train``) is untouched. Turn it off with
``KC_IMPORT_TENSORFLOW=1``. tests/test_no_tensorflow.py checks that the stand-in changes nothing:
the same intents, confidences and entities on the whole test split as with TensorFlow loaded.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import types
from pathlib import Path
from typing import Iterable, Optional

import yaml

#: The import roots answered by the stand-in.
STUBBED = (
    "tensorflow",
    "tensorflow_addons",
    "tensorflow_hub",
    "tensorflow_text",
    "tensorflow_probability",
    "keras",
    "jax",
    "jaxlib",
)
#: Rasa 3.6 components that really run TensorFlow: with any of them configured, nothing is stubbed.
TENSORFLOW_COMPONENTS = frozenset(
    {
        "DIETClassifier",
        "TEDPolicy",
        "UnexpecTEDIntentPolicy",
        "ResponseSelector",
        "LanguageModelFeaturizer",
        "ConveRTFeaturizer",
        "ConveRTTokenizer",
        "HFTransformersNLP",
        "LanguageModelTokenizer",
        "CRFEntityExtractor",
        "rasa.nlu.classifiers.diet_classifier.DIETClassifier",
        "rasa.core.policies.ted_policy.TEDPolicy",
    }
)
CONFIG = Path(__file__).resolve().parent.parent / "config.yml"


class _Inert(type):
    """A class whose attributes are further inert classes and whose calls return one."""

    def __getattr__(cls, name: str):  # noqa: N805 - a metaclass
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Inert(name, (object,), {})

    def __call__(cls, *args, **kwargs):  # noqa: N805
        return _Inert("result", (object,), {})

    def __getitem__(cls, key):  # noqa: N805
        return _Inert("item", (object,), {})


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Inert(name, (object,), {})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path=None, target=None):
        if fullname.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StandIn(spec.name)
        module.__path__ = []
        module.__version__ = "0+not-imported"
        module.__kc_stand_in__ = True
        return module

    def exec_module(self, module) -> None:
        return None


def configured_components(config: Path = CONFIG) -> Iterable[str]:
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for item in (data.get("pipeline") or []) + (data.get("policies") or []):
        if isinstance(item, dict) and item.get("name"):
            yield str(item["name"])


def needs_tensorflow(config: Path = CONFIG) -> bool:
    return any(
        name in TENSORFLOW_COMPONENTS or name.split(".")[-1] in TENSORFLOW_COMPONENTS
        for name in configured_components(config)
    )


def install(config: Path = CONFIG) -> Optional[str]:
    """Install the stand-in; returns why not, or None when installed."""
    if os.environ.get("KC_IMPORT_TENSORFLOW") == "1":
        return "KC_IMPORT_TENSORFLOW=1"
    if needs_tensorflow(config):
        return "the configuration has a TensorFlow component"
    if any(name.split(".")[0] in STUBBED for name in sys.modules):
        return "TensorFlow is already imported"
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    return None


def is_stand_in(module: object) -> bool:
    return getattr(module, "__kc_stand_in__", False) is True
