"""Quick checks of btvq.peers on a toy dataset (30 series of length 64, 2 classes). The checks that compute a peer
need its package, which lives in the peers' environment; elsewhere they are skipped, saying how to make it."""
from dataclasses import replace

import numpy as np
import pytest

from btvq import peers
from btvq.data import UCRData

REASON = ("needs the peers' environment: run `bash tools/peers-env.sh`, "
          "then `.venv-peers/bin/python -m pytest tests/test_peers.py`")
PROBE = dict(n_kmeans=2)
METRICS = ['intrinsic_dim', 'knn10_acc', 'knn1_acc', 'knn5_acc', 'silhouette', 'svm_acc', 'svm_converged', 'svm_iter']


@pytest.fixture(scope='module')
def toy() -> UCRData:
    g = np.random.default_rng(0)
    wave = np.sin(2 * np.pi * 3 * np.linspace(0, 1, 64))
    y = np.arange(30) % 2
    x = (np.where(y[:, None] == 0, wave, np.sign(wave)) + 0.3 * g.standard_normal((30, 64))).astype(np.float32)
    return UCRData(x[:20], y[:20], x[20:], y[20:], np.array([0, 1]), 'Toy')


def _need(*modules: str) -> None:
    for m in modules: pytest.importorskip(m, reason=REASON)


def test_a_missing_peer_names_the_setup_command(toy):
    if peers.peers_available(['minirocket']): pytest.skip("aeon is installed here")
    with pytest.raises(ImportError, match='bash tools/peers-env.sh'):
        peers.minirocket_features(toy.x_train, toy.x_test, seed=0)


def test_minirocket_features_and_ridge(toy):
    _need('aeon')
    f_train, f_test, sec = peers.minirocket_features(toy.x_train, toy.x_test, seed=0)
    assert (f_train.shape, f_test.shape, sorted(sec)) == ((20, 9996), (10, 9996), ['encode', 'fit'])
    assert sorted(peers.ridge_protocol(f_train, toy.y_train, f_test, toy.y_test)) == ['acc', 'alpha']


def test_ts2vec_features_and_svm(toy):
    _need('ts2vec', 'bottleneck')
    f_train, f_test, sec = peers.ts2vec_features(toy.x_train, toy.x_test, seed=0, n_iters=2)
    assert (f_train.shape, f_test.shape, sorted(sec)) == ((20, 320), (10, 320), ['encode', 'fit'])
    assert peers.svm_protocol(f_train, toy.y_train, f_test, toy.y_test)['C'] == 'inf'   # < 50 series: no grid


def test_probe_keys(toy):
    assert sorted(peers.probe_features(toy.x_train, toy.y_train, toy.x_test, toy.y_test, **PROBE)) == METRICS
    _need('aeon')
    ref = peers.peer_reference('minirocket', toy, seeds=(1,), probe_kwargs=PROBE)
    assert (sorted(ref), list(ref['seeds'])) == (['seeds', 'settings', 'versions'], [1])
    assert sorted(ref['seeds'][1]['probe']) == METRICS
    assert sorted(ref['seeds'][1]['seconds']) == ['encode', 'fit', 'own', 'probe']


def test_cache_round_trip_and_staleness(toy, tmp_path):
    entry = dict(versions=peers.peer_versions('ts2vec'), settings=peers.peer_settings('ts2vec', toy),
                 seeds={0: dict(probe={'svm_acc': 0.5}, own=dict(acc=1.0, C='inf'), seconds=dict(fit=1.0))})
    cache = peers.cache_head(toy, PROBE) | dict(peers=dict(ts2vec=entry))
    peers.save_peers(cache, tmp_path)
    assert peers.load_peers('Toy', tmp_path) == cache and peers.load_peers('Else', tmp_path) is None
    assert peers.stale_reason(cache, 'ts2vec', toy, PROBE) == ''
    assert peers.stale_reason(cache, 'minirocket', toy, PROBE) == 'no minirocket'
    assert peers.stale_reason(cache, 'ts2vec', replace(toy, y_test=1 - toy.y_test), PROBE).startswith('another data')
    assert peers.stale_reason(cache | dict(format=0), 'ts2vec', toy, PROBE).startswith('another format')
    old = entry | dict(versions=entry['versions'] | dict(torch='1.8.1'))
    reason = peers.stale_reason(cache | dict(peers=dict(ts2vec=old)), 'ts2vec', toy, PROBE)
    assert reason.startswith('other versions: torch 1.8.1')
    assert peers.stale_reason(cache, 'ts2vec', toy, PROBE, n_iters=2).startswith('other settings: n_iters 200')


def test_update_peers_computes_only_what_is_missing(toy, tmp_path):
    _need('aeon', 'ts2vec', 'bottleneck')
    lines = []
    kw = dict(probe_kwargs=PROBE, ref_dir=tmp_path, settings=dict(ts2vec=dict(n_iters=2)), log=lines.append)
    done = peers.update_peers(toy, seeds=(0,), **kw)
    assert len(lines) == 2 and peers.load_peers('Toy', tmp_path) == done
    assert peers.update_peers(toy, seeds=(0,), **kw) == done and len(lines) == 2
    frame = peers.peers_frame(['Toy'], tmp_path)
    assert sorted(frame.query("metric == 'own/acc'")['peer']) == ['minirocket', 'ts2vec']
