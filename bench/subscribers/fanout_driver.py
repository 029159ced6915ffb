"""The fan-out benchmark's driver (run.py here: its Clients, Api and helpers) as a module for the
other benchmarks, which cannot import it by name: their scripts are called run.py too."""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    spec = importlib.util.spec_from_file_location("fanout_run", os.path.join(HERE, "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
