// Parameters for `azd up` / `azd provision`: read from the azd environment (`azd env set NAME VALUE`).
// The manual path uses dev.bicepparam or prod.bicepparam instead (docs/deployment.md).
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')

// Required, no default: comma-separated /subscriptions/<id>[/resourceGroups/<name>] ids.
// azd env set SWITCHBOARD_OPERABLE_SCOPES /subscriptions/<id>/resourceGroups/rg-dev
param operableScopes = split(readEnvironmentVariable('SWITCHBOARD_OPERABLE_SCOPES'), ',')

// The person running azd may bootstrap the first admin and import the policy (python -m app.policy).
param operatorPrincipalIds = empty(readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')) ? [] : [
  readEnvironmentVariable('AZURE_PRINCIPAL_ID')
]

param alertEmail = readEnvironmentVariable('SWITCHBOARD_ALERT_EMAIL', '')
