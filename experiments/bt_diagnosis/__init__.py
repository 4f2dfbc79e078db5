"""Does the Barlow Twins term train? The diagnosis behind `nbs/05_barlow.ipynb` (section "A diagnosis").

Joint BT-VQVAE runs under named training settings go through `btvq.train.fit` (a step callback records every step
and applies layer-wise steps where a setting asks for them); the fixed-batch measurements (initial loss by views,
the blow-up at lr 1e-3, one augmentation at a time, a warm-up, gradient sizes) are small loops of their own.
Data come from `btvq.data.load_ucr` ($BTVQ_UCR_DIR); results go to `outputs/bt_diagnosis/`.

    python -m experiments.bt_diagnosis --help
"""
