"""Custom actions of the citizen assistant (rasa-sdk action server)."""
