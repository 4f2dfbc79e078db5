__version__ = "0.1.0"
__all__ = ['BTVQ']


def __getattr__(name: str):
    "`btvq.BTVQ`, imported when first used, so that `import btvq` stays light (no torch)."
    if name == 'BTVQ':
        from btvq.api import BTVQ
        return BTVQ
    raise AttributeError(f"module 'btvq' has no attribute {name!r}")
