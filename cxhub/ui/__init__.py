"""Streamlit-only building blocks shared by the pages: the database
connection and cache, the filter bar, KPI tiles and freshness badges.
Nothing below cxhub/ui imports Streamlit."""
