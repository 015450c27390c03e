"""Identities and proofs of identity: IAM users, projects, tokens, AK/SK and their signatures."""
