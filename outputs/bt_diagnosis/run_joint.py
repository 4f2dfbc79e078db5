"""Joint BT-VQVAE runs (gamma = 1, 400 steps, batch 128, seed 0) under named training settings.

OMP_NUM_THREADS=1 nice -n 10 python outputs/bt_diagnosis/run_joint.py DATASET SETTING [SETTING ...]
Writes runs/<DATASET>__<SETTING>.json (summary) and .steps.json (every step); settings: btdiag.SETTINGS.
"""
import sys

import btdiag as B

if __name__ == '__main__':
    dataset, *names = sys.argv[1:]
    for name in names:
        B.joint_run(dataset, B.SETTINGS[name])
