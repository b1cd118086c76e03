// The bot's one identity: a user-assigned managed identity. It is the bot's Entra app (Azure Bot
// with MicrosoftAppType UserAssignedMSI, no client secret), the Function App's identity for
// storage and telemetry, and the principal of the operator role on the operable scopes.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
output tenantId string = identity.properties.tenantId
