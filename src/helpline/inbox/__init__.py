"""The unanswered inbox: flagged customer messages grouped for authors, and the checked
writes that make them examples of an intent."""
