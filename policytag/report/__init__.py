"""The HTML evaluation report and the matplotlib charts it and ``summarize`` draw."""
