"""The messaging gateway: every channel's messages in, one dialogue core, answers out.

See README.md in this folder for the module map and the ordering design.
"""
