"""The ``/v3`` sub-app: the IAM (Keystone v3) endpoints SDKs call before ModelArts."""
