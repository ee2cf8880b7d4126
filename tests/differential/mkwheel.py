"""Write tiny pure-Python wheels (mpdemo 1.0 and 2.0) into a folder, so pip can install offline."""
import os
import sys
import zipfile


def wheel(folder: str, name: str, version: str) -> None:
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: miniplay-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{k},,\n" for k in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(folder, f"{name}-{version}-py3-none-any.whl"), "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)


os.makedirs(sys.argv[1], exist_ok=True)
for version in ("1.0", "2.0"):
    wheel(sys.argv[1], "mpdemo", version)
