"""The model: the compiled predict-only model and its backend choice, the model file
format and card, explain, and the training-side estimators, features and config.

The prediction path here (compiled, format, explain) never imports scikit-learn or
joblib; only the training side (estimators, features) and format-1 folders do."""
