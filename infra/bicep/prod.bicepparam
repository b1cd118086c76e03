// Production: `az deployment sub create --location <region> --template-file
// infra/bicep/main.bicep --parameters infra/bicep/prod.bicepparam` (docs/deployment.md).
// Replace the placeholders before deploying.
using 'main.bicep'

param environmentName = 'prod'
param location = 'westeurope'

// The resource groups the bot may operate on in production; each gets the generated operator role.
param operableScopes = [
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-prod'
]

// The platform team's group (object id) runs python -m app.policy against production.
param operatorPrincipalIds = []
param operatorPrincipalType = 'Group'

param alertEmail = 'platform-oncall@example.com'
param logLevel = 'INFO'
param storageSku = 'Standard_ZRS'
param retentionInDays = 90
param maximumInstanceCount = 40
