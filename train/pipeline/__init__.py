"""The scikit-learn side: reading and validating labelled files (``records``,
``validate``, ``corpus``, ``split``, ``similarity``), the features and candidate models
(``features``, ``charngrams``, ``candidates``), training and thresholds (``training``),
figures (``metrics``, ``evaluate``, ``baseline``, ``stats``, ``agreement``), and turning a
fitted pipeline into a version (``compile_serving``, ``saving``)."""
