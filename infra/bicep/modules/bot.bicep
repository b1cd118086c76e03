// The Azure Bot: its Entra identity is the user-assigned managed identity (app type
// UserAssignedMSI), so there is no client secret anywhere; the Microsoft Teams channel is on and
// the messaging endpoint is the Function App's /api/messages.

@description('Name of the bot resource (also its handle).')
param name string

@description('Display name people see in Teams.')
param displayName string

@description('The messaging endpoint: https://<function host>/api/messages.')
param endpoint string

@description('Client id of the user-assigned managed identity (the bot\'s app id).')
param identityClientId string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Entra tenant of the identity.')
param tenantId string

@description('Tags for every resource.')
param tags object

@description('Bot Service pricing tier: F0 is free for the Teams channel (a standard channel).')
@allowed([
  'F0'
  'S1'
])
param sku string = 'F0'

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: {
    name: sku
  }
  properties: {
    displayName: displayName
    endpoint: endpoint
    msaAppId: identityClientId
    msaAppType: 'UserAssignedMSI'
    msaAppMSIResourceId: identityId
    msaAppTenantId: tenantId
    disableLocalAuth: true
    isStreamingSupported: false
    publicNetworkAccess: 'Enabled'
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

output name string = bot.name
output appId string = identityClientId
output endpoint string = endpoint
