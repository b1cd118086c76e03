// A development environment: `az deployment sub create --location <region> --template-file
// infra/bicep/main.bicep --parameters infra/bicep/dev.bicepparam` (docs/deployment.md).
// Replace the placeholders before deploying.
using 'main.bicep'

param environmentName = 'dev'
param location = 'westeurope'

// Only the development resource group: the bot can act there and nowhere else.
param operableScopes = [
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dev'
]

// Your Entra object id (az ad signed-in-user show --query id -o tsv), to run python -m app.policy.
param operatorPrincipalIds = []

param logLevel = 'DEBUG'
param storageSku = 'Standard_LRS'
param maximumInstanceCount = 10
