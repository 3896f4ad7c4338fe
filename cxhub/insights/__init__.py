"""Insights (contract: shared/spec/insights.md): what moves NPS and CSAT
(drivers), what just broke (alerts), what customers are saying (themes).
Each reads the contract tables for a period and the usual filters and
returns a small, JSON-ready document; the CLI prints it, the pages, the
agenda and the pack show it."""
