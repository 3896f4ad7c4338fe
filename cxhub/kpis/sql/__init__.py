"""Per-KPI-family SQL, read by the KPI engine."""
