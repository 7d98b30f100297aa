"""BibTeX entries of what each featurizer builds on (``citations()``)."""

from __future__ import annotations

__all__ = ["CITATIONS", "cite"]

CITATIONS = {
    "pymatgen": (
        "@article{Ong2013, author = {Ong, Shyue Ping and others}, title = {Python Materials Genomics (pymatgen): "
        "A robust, open-source python library for materials analysis}, journal = {Computational Materials Science}, "
        "volume = {68}, pages = {314--319}, year = {2013}, doi = {10.1016/j.commatsci.2012.10.028}}"
    ),
    "matminer": (
        "@article{Ward2018, author = {Ward, Logan and Dunn, Alexander and Faghaninia, Alireza and Zimmermann, Nils E. R. "
        "and Bajaj, Saurabh and Wang, Qi and Montoya, Joseph and Chen, Jiming and Bystrom, Kyle and Dylla, Maxwell and "
        "Chard, Kyle and Asta, Mark and Persson, Kristin A. and Snyder, G. Jeffrey and Foster, Ian and Jain, Anubhav}, "
        "title = {Matminer: An open source toolkit for materials data mining}, journal = {Computational Materials "
        "Science}, volume = {152}, pages = {60--69}, year = {2018}, doi = {10.1016/j.commatsci.2018.05.018}}"
    ),
    "synthetic_crystals": (
        "@article{Schopmans2023, author = {Schopmans, Henrik and Reiser, Patrick and Friederich, Pascal}, "
        "title = {Neural networks trained on synthetically generated crystals can extract structural information "
        "from ICSD powder X-ray diffractograms}, journal = {Digital Discovery}, year = {2023}, "
        "doi = {10.1039/D3DD00071K}}"
    ),
    "crystinet": (
        "@article{Chen2024, author = {Chen, Litao and Wang, Bingxu and Zhang, Wentao and Zheng, Shisheng and "
        "Chen, Zhefeng and Zhang, Mingzheng and Dong, Cheng and Pan, Feng and Li, Shunning}, title = {Crystal "
        "Structure Assignment for Unknown Compounds from X-ray Diffraction Patterns with Deep Learning}, "
        "journal = {Journal of the American Chemical Society}, volume = {146}, pages = {8098--8109}, year = {2024}, "
        "doi = {10.1021/jacs.3c11852}}"
    ),
    "deepxrd": (
        "@article{Dong2022, author = {Dong, Rongzhi and Zhao, Yong and Song, Yuqi and Fu, Nihang and Omee, Sadman "
        "Sadeed and Dey, Sourin and Li, Qinyang and Wei, Lai and Hu, Jianjun}, title = {DeepXRD, a Deep Learning "
        "Model for Predicting of XRD spectrum from Materials Composition}, journal = {arXiv preprint}, year = {2022}}"
    ),
}


def cite(*keys: str) -> list[str]:
    """The BibTeX entries of ``keys`` (of :data:`CITATIONS`), in that order."""
    return [CITATIONS[k] for k in keys]
