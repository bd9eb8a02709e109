"""Link-prediction embeddings over the repository (installed as ``kgrepo.embeddings``, extra
``kgrepo[embeddings]``); built in a later issue. torch and pykeen are imported lazily there."""
