"""Build of the optional C extension; the project's metadata lives in pyproject.toml.

``meridian.agent._encode`` writes the agent's event lists as JSON (see events.py). It is
optional: without a C compiler the install still succeeds and the agent uses the pure-Python
encoder, which gives the same bytes, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "meridian.agent._encode",
            sources=["src/meridian/agent/_encode.c"],
            optional=True,
        )
    ]
)
