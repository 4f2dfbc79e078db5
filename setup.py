"""Install btvq from the metadata in settings.ini (nbdev 2 layout, no pkg_resources)."""
from configparser import ConfigParser
from pathlib import Path

from setuptools import find_packages, setup

cfg = ConfigParser(delimiters=["="])
cfg.read(Path(__file__).parent / "settings.ini")
c = cfg["DEFAULT"]

setup(
    name=c["lib_name"],
    version=c["version"],
    description=c["description"],
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author=c["author"],
    author_email=c["author_email"],
    license=c["license"],
    url=c["git_url"],
    keywords=c["keywords"].split(),
    python_requires=">=" + c["min_python"],
    packages=find_packages(include=["btvq", "btvq.*"]),
    include_package_data=True,
    package_data={"btvq": ["resources/*", "resources/**/*"]},
    install_requires=c.get("requirements", "").split(),
    extras_require={"dev": c.get("dev_requirements", "").split()},
    entry_points={
        "console_scripts": c.get("console_scripts", "").split(),
        "nbdev": [f"{c['lib_path']}={c['lib_path']}._modidx:d"],
    },
    zip_safe=False,
)
