"""Deployment: the CloudFormation template for what Chalice does not create, and its merge overlay."""
