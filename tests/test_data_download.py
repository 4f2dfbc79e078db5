"""btvq.data's download path against a local HTTP server serving zips laid out like timeseriesclassification.com."""
import gzip
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from btvq.data import _embedded_dir, download_ucr, load_ucr

GUNPOINT = {s: gzip.decompress((_embedded_dir() / f"GunPoint/GunPoint_{s}.tsv.gz").read_bytes())
            for s in ("TRAIN", "TEST")}


def to_ts(name: str, tsv: bytes) -> bytes:
    "An archive tsv as the site's .ts file: comment, @-header, rows 'v1,...,vL:label'."
    rows = [line.split("\t") for line in tsv.decode().splitlines()]
    header = (f"#{name}: test copy\n@problemName {name}\n@timeStamps false\n@missing false\n"
              f"@univariate true\n@equalLength true\n@seriesLength {len(rows[0]) - 1}\n"
              f"@classLabel true {' '.join(sorted({r[0] for r in rows}))}\n@data\n")
    return (header + "".join(",".join(r[1:]) + ":" + r[0] + "\n" for r in rows)).encode()


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in members.items():
            z.writestr(path, data)
    return buf.getvalue()


def gunpoint_zip(splits: dict[str, bytes] = GUNPOINT) -> bytes:
    return make_zip({f"GunPoint_{s}.ts": to_ts("GunPoint", tsv) for s, tsv in splits.items()})


class Handler(BaseHTTPRequestHandler):
    "Serves server.routes[path] = (body, mode); mode 'ok', 'cut' (half the body, full Content-Length),"
    " 'cut_no_length' (half the body, no Content-Length) or 'html'."

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        body, mode = self.server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if mode == "html" else "application/zip")
        if mode != "cut_no_length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode.startswith("cut") else body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.requests = {}, []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/aeon-toolkit"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def files_under(path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def test_download_verifies_and_loads(server, tmp_path):
    server.routes["/aeon-toolkit/GunPoint.zip"] = (gunpoint_zip(), "ok")
    folder = download_ucr("GunPoint", base_url=server.url + "/", dest=tmp_path)
    assert folder == tmp_path / "GunPoint"
    assert files_under(tmp_path) == ["GunPoint/GunPoint_TEST.tsv", "GunPoint/GunPoint_TRAIN.tsv"]
    assert all((folder / f"GunPoint_{s}.tsv").read_bytes() == GUNPOINT[s] for s in GUNPOINT)
    got, embedded = load_ucr("GunPoint", root=tmp_path), load_ucr("GunPoint", root=tmp_path / "GunPoint")
    assert np.array_equal(got.x_test, embedded.x_test) and np.array_equal(got.y_train, embedded.y_train)


def test_load_ucr_downloads_into_cache_once(server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("BTVQ_UCR_URL", server.url)
    monkeypatch.delenv("BTVQ_UCR_DIR", raising=False)
    tsv = {"TRAIN": b"1\t0.5\t1\n2\t2\t3\n", "TEST": b"2\t4\t5\n"}  # no sha256 known for Coffee
    server.routes["/aeon-toolkit/Coffee.zip"] = (make_zip({f"Coffee/Coffee_{s}.tsv": t for s, t in tsv.items()}), "ok")
    data = load_ucr("Coffee")
    assert data.classes.tolist() == [1, 2] and data.y_test.tolist() == [1]
    assert files_under(tmp_path / "xdg") == ["btvq/ucr/Coffee/Coffee_TEST.tsv", "btvq/ucr/Coffee/Coffee_TRAIN.tsv"]
    assert np.array_equal(load_ucr("Coffee").x_train, data.x_train)
    assert server.requests == ["/aeon-toolkit/Coffee.zip"]  # the second load came from the cache


@pytest.mark.parametrize("mode, error, message", [
    ("cut", ConnectionError, r"GunPoint.zip was cut off after \d+ of \d+ bytes"),
    ("cut_no_length", ValueError, "did not return a valid zip archive"),
])
def test_cut_off_download_leaves_nothing(server, tmp_path, mode, error, message):
    server.routes["/aeon-toolkit/GunPoint.zip"] = (gunpoint_zip(), mode)
    with pytest.raises(error, match=message):
        download_ucr("GunPoint", base_url=server.url, dest=tmp_path)
    assert files_under(tmp_path) == [] and not (tmp_path / "GunPoint").exists()


def test_wrong_hash_leaves_nothing(server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tsv = GUNPOINT["TEST"]
    end_of_first_value = tsv.index(b"\t", tsv.index(b"\t") + 1)
    bad = tsv[:end_of_first_value] + b"1" + tsv[end_of_first_value:]  # one more digit: still numeric
    server.routes["/aeon-toolkit/GunPoint.zip"] = (gunpoint_zip({"TRAIN": GUNPOINT["TRAIN"], "TEST": bad}), "ok")
    with pytest.raises(ValueError, match="sha256 mismatch for GunPoint/GunPoint_TEST.tsv: expected "
                                         "5537eb2f3050e1514f3221b5f4c9799b350fb229ea15eed9e78bbae855505ccf, got [0-9a-f]{64}"):
        download_ucr("GunPoint", base_url=server.url)
    assert files_under(tmp_path) == []
    download_ucr("GunPoint", base_url=server.url, verify=False)  # the escape hatch takes it as it is
    assert (tmp_path / "btvq/ucr/GunPoint/GunPoint_TEST.tsv").read_bytes() == bad


@pytest.mark.parametrize("route, error, message", [
    (None, ConnectionError, "HTTP Error 404"),
    ((b"<html>No such dataset</html>", "html"), ValueError, "did not return a valid zip archive"),
    ((make_zip({"GunPoint_TRAIN.ts": to_ts("GunPoint", GUNPOINT["TRAIN"])}), "ok"), ValueError,
     "the zip holds no GunPoint_TEST.ts or GunPoint_TEST.tsv"),
])
def test_bad_responses_leave_nothing(server, tmp_path, route, error, message):
    if route is not None:
        server.routes["/aeon-toolkit/GunPoint.zip"] = route
    with pytest.raises(error, match=message):
        download_ucr("GunPoint", base_url=server.url, dest=tmp_path)
    assert files_under(tmp_path) == []


def test_unverifiable_download_must_parse(server, tmp_path):
    bad = {"Coffee_TRAIN.ts": "@data\n0.5,1:1\n0.5,x:2\n", "Coffee_TEST.ts": "@data\n0.5,1:1\n"}  # no sum known
    server.routes["/aeon-toolkit/Coffee.zip"] = (make_zip(bad), "ok")
    with pytest.raises(ValueError, match=r"Coffee.zip \(Coffee_TRAIN\), line 2, column 3: non-numeric cell 'x'"):
        download_ucr("Coffee", base_url=server.url, dest=tmp_path)
    assert files_under(tmp_path) == []


def test_typo_fails_before_any_request(server, tmp_path):
    with pytest.raises(ValueError, match="unknown UCR dataset 'GunPiont'; did you mean GunPoint"):
        load_ucr("GunPiont", root=tmp_path, base_url=server.url)
    assert server.requests == []
