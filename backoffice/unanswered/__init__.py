"""Unanswered questions: capture (masked), grouping, and the editor's console page (issue 7)."""
