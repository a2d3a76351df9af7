"""What every layer shares and that knows no feature: errors, time wording, the business-day calendar,
and the HTTP helpers of the views (see .importlinter for the layers)."""
